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

    public static ContainerStats ToDomain(StatsContainerResponse r) => new(
        r.CpuUsageUsec, r.CpuUserUsec, r.CpuSystemUsec, r.MemoryUsageBytes, r.MemoryLimitBytes, r.MemoryAnonBytes,
        r.MemoryFileBytes, r.OomKills, r.PidsCurrent, r.PidsLimit, r.IoReadBytes, r.IoWriteBytes);

    public static ProcessExit ToDomain(WaitProcessResponse r) =>
        new(r.ExitStatus, r.OomKilled, DateTime.UnixEpoch.AddTicks(r.ExitedAtUnixNanos / 100));

    public static GuestProcess ToDomain(ProcessInfo p) => new((int)p.Pid, (int)p.Ppid, p.Uid, p.Command, p.RssBytes, p.CpuTimeMs);

    public static AgentEvent ToDomain(Event e) => new(
        e.ContainerId, e.ExecId, DateTime.UnixEpoch.AddTicks(e.TimestampUnixNanos / 100),
        Oom: e.KindCase == Event.KindOneofCase.Oom, Pid: (int)(e.Exit?.Pid ?? 0), ExitStatus: e.Exit?.ExitStatus ?? 0);

    public static AgentErrorKind ToKind(Grpc.StatusCode status) => status switch
    {
        Grpc.StatusCode.NotFound => AgentErrorKind.NotFound,
        Grpc.StatusCode.AlreadyExists => AgentErrorKind.AlreadyExists,
        Grpc.StatusCode.InvalidArgument or Grpc.StatusCode.OutOfRange => AgentErrorKind.InvalidArgument,
        Grpc.StatusCode.FailedPrecondition or Grpc.StatusCode.Aborted => AgentErrorKind.FailedPrecondition,
        Grpc.StatusCode.PermissionDenied or Grpc.StatusCode.Unauthenticated => AgentErrorKind.PermissionDenied,
        Grpc.StatusCode.ResourceExhausted => AgentErrorKind.ResourceExhausted,
        Grpc.StatusCode.Unavailable => AgentErrorKind.Unavailable,
        Grpc.StatusCode.DeadlineExceeded => AgentErrorKind.Timeout,
        Grpc.StatusCode.Cancelled => AgentErrorKind.Cancelled,
        Grpc.StatusCode.Unimplemented => AgentErrorKind.Unimplemented,
        _ => AgentErrorKind.Internal,
    };
}
