using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>Protocol messages to domain types. Protobuf types do not travel past <see cref="AgentClient"/>.</summary>
internal static class AgentMapping
{
    public static GuestDetails ToDomain(GuestDetailsResponse r) => new(
        KernelRelease: r.KernelRelease,
        Cpus: (int)r.Cpus,
        MemoryTotalBytes: r.MemoryTotalBytes,
        MemoryAvailableBytes: r.MemoryAvailableBytes,
        Transport: r.Transport,
        AgentVersion: r.AgentVersion,
        BootId: r.BootId,
        AgentStart: TimeSpan.FromMilliseconds(r.Timeline?.AgentStartMs ?? 0),
        SystemReady: TimeSpan.FromMilliseconds(r.Timeline?.SystemReadyMs ?? 0),
        Serving: TimeSpan.FromMilliseconds(r.Timeline?.ServingMs ?? 0),
        LoadedModules: r.LoadedModules.ToList(),
        AgentRssBytes: r.AgentRssBytes);

    public static AgentVersionInfo ToDomain(VersionResponse r) => new(r.AgentVersion, r.ApiVersion);
}
