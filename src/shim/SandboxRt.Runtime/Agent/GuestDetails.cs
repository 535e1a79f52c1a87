namespace SandboxRt.Runtime.Agent;

/// <summary>What the agent reports about its guest (domain form of GuestDetailsResponse).</summary>
public sealed record GuestDetails(
    string KernelRelease,
    int Cpus,
    ulong MemoryTotalBytes,
    ulong MemoryAvailableBytes,
    string Transport,
    string AgentVersion,
    string BootId,
    TimeSpan AgentStart,
    TimeSpan SystemReady,
    TimeSpan Serving,
    IReadOnlyList<string> LoadedModules,
    ulong AgentRssBytes,
    TimeSpan Uptime);
