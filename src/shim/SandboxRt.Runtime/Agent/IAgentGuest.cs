namespace SandboxRt.Runtime.Agent;

/// <summary>The guest as a whole: health, version, what it booted with, and the sandbox set-up every container shares.</summary>
public interface IAgentGuest
{
    Task<bool> CheckAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
    Task<AgentVersionInfo> VersionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
    Task<GuestDetails> GuestDetailsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default);
    /// <summary>Brings hot-plugged CPUs and memory online, waiting (bounded) until this many are; returns what is online.</summary>
    Task<(int Cpus, long MemoryMib)> OnlineCpuMemAsync(int cpus, int memoryMib, CancellationToken cancellationToken = default);
    Task CreateSandboxAsync(string sandboxId, string hostname, IEnumerable<string> dns, string sharedDriver, string sharedTag, CancellationToken cancellationToken = default);
    Task DestroySandboxAsync(CancellationToken cancellationToken = default);
}
