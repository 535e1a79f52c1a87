using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>What one VM needs: an id, a private state directory, the configuration and sizes.</summary>
public sealed record VmLaunchRequest(string Id, string StateDirectory, HypervisorConfig Config)
{
    public int Vcpus { get; init; } = Config.DefaultVcpus;
    public int MemoryMib { get; init; } = Config.DefaultMemoryMib;
    /// <summary>Another initrd than the configuration's (the bare-VM floor measurement uses this).</summary>
    public string? InitrdOverride { get; init; }
}
