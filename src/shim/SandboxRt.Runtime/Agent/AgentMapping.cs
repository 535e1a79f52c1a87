using SandboxRt.Agent.Protocol;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;
using SandboxRt.Runtime.Network;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// Protocol messages to domain types. Protobuf types do not travel past <see cref="AgentClient"/>.
/// Every string the guest sends that a host may print (versions, names, commands, error messages) is
/// escaped and bounded here (SafeText), once, at the boundary.
/// </summary>
internal static class AgentMapping
{
    public static GuestDetails ToDomain(GuestDetailsResponse r) => new(
        KernelRelease: Text(r.KernelRelease),
        Cpus: (int)r.Cpus,
        MemoryTotalBytes: r.MemoryTotalBytes,
        MemoryAvailableBytes: r.MemoryAvailableBytes,
        Transport: Text(r.Transport),
        AgentVersion: Text(r.AgentVersion),
        BootId: Text(r.BootId),
        AgentStart: Millis(r.Timeline?.AgentStartMs ?? 0),
        SystemReady: Millis(r.Timeline?.SystemReadyMs ?? 0),
        Serving: Millis(r.Timeline?.ServingMs ?? 0),
        LoadedModules: r.LoadedModules.Take(1024).Select(m => Text(m, 64)).ToList(),
        AgentRssBytes: r.AgentRssBytes,
        Uptime: Millis(r.UptimeMs));

    /// <summary>A guest-reported duration, clamped to a year (a hostile value must not overflow TimeSpan).</summary>
    private static TimeSpan Millis(ulong ms) => TimeSpan.FromMilliseconds(Math.Min(ms, 365UL * 24 * 3600 * 1000));

    public static AgentVersionInfo ToDomain(VersionResponse r) => new(Text(r.AgentVersion), Text(r.ApiVersion));

    public static ContainerStats ToDomain(StatsContainerResponse r) => new(
        r.CpuUsageUsec, r.CpuUserUsec, r.CpuSystemUsec, r.MemoryUsageBytes, r.MemoryLimitBytes, r.MemoryAnonBytes,
        r.MemoryFileBytes, r.OomKills, r.PidsCurrent, r.PidsLimit, r.IoReadBytes, r.IoWriteBytes,
        r.MemoryInactiveFileBytes, r.MemoryActiveFileBytes, r.MemoryShmemBytes, r.MemoryPgfault, r.MemoryPgmajfault);

    public static ProcessExit ToDomain(WaitProcessResponse r) =>
        new(r.ExitStatus, r.OomKilled, DateTime.UnixEpoch.AddTicks(r.ExitedAtUnixNanos / 100));

    public static GuestProcess ToDomain(ProcessInfo p) => new((int)p.Pid, (int)p.Ppid, p.Uid, Text(p.Command, 1024), p.RssBytes, p.CpuTimeMs);

    /// <summary>A failed call as the domain's exception, with the agent's message escaped (it is the guest's text).</summary>
    public static AgentException ToException(string method, RpcException e) =>
        new(ToKind(e.StatusCode), method, Text(e.Status.Detail, ErrorMaxLength), e, SandboxRt.Agent.Protocol.AgentErrorReason.FromStatusDetails(e.Trailers.GetValueBytes("grpc-status-details-bin")));

    public static AgentEvent ToDomain(Event e) => new(
        e.ContainerId, e.ExecId, DateTime.UnixEpoch.AddTicks(e.TimestampUnixNanos / 100),
        Oom: e.KindCase == Event.KindOneofCase.Oom, Pid: (int)(e.Exit?.Pid ?? 0), ExitStatus: e.Exit?.ExitStatus ?? 0);

    public static AgentErrorKind ToKind(StatusCode status) => status switch
    {
        StatusCode.NotFound => AgentErrorKind.NotFound,
        StatusCode.AlreadyExists => AgentErrorKind.AlreadyExists,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => AgentErrorKind.InvalidArgument,
        StatusCode.FailedPrecondition or StatusCode.Aborted => AgentErrorKind.FailedPrecondition,
        StatusCode.PermissionDenied or StatusCode.Unauthenticated => AgentErrorKind.PermissionDenied,
        StatusCode.ResourceExhausted => AgentErrorKind.ResourceExhausted,
        StatusCode.Unavailable => AgentErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => AgentErrorKind.Timeout,
        StatusCode.Cancelled => AgentErrorKind.Cancelled,
        StatusCode.Unimplemented => AgentErrorKind.Unimplemented,
        _ => AgentErrorKind.Internal,
    };

    // --- networking: requests are built from the host's own scan; answers come from the guest and are
    // parsed defensively (an unparsable field becomes empty, never an exception deep in a caller) ---

    public static Interface ToMessage(PodInterface i)
    {
        var message = new Interface { Name = i.Name, HwAddr = NetworkText.FormatMac(i.Mac), Mtu = (uint)i.Mtu };
        message.Addresses.AddRange(i.Addresses.Select(a => new IPAddress { Address = a.Address.ToString(), PrefixLength = (uint)a.PrefixLength }));
        return message;
    }

    public static Route ToMessage(PodRoute r) => new()
    {
        Destination = r.Destination is null ? "" : NetworkText.FormatPrefix(r.Destination, r.PrefixLength),
        Gateway = r.Gateway?.ToString() ?? "",
        Device = r.Device,
        Source = r.Source?.ToString() ?? "",
        Scope = r.Scope,
    };

    public static ARPNeighbor ToMessage(PodNeighbour n) => new() { IpAddress = n.Address.ToString(), Device = n.Device, Lladdr = NetworkText.FormatMac(n.Mac) };

    public static PodInterface ToDomain(Interface i) => new(
        Bounded(i.Name, 15), TryMac(i.HwAddr), (int)Math.Min(i.Mtu, 65535u),
        i.Addresses.Select(a => System.Net.IPAddress.TryParse(a.Address, out var ip) && a.PrefixLength <= 128 ? (ip, (int)a.PrefixLength) : default)
            .Where(a => a.ip is not null).Select(a => (a.ip!, a.Item2)).ToList());

    public static PodRoute ToDomain(Route r)
    {
        System.Net.IPAddress? destination = null;
        int length = 0;
        try
        {
            if (r.Destination.Length > 0)
                (destination, length) = NetworkText.ParsePrefix(r.Destination, "destination");
        }
        catch (FormatException)
        {
        }
        return new PodRoute(Bounded(r.Device, 15), destination, length, TryAddress(r.Gateway), TryAddress(r.Source), (byte)Math.Min(r.Scope, 255u));
    }

    private static byte[] TryMac(string text)
    {
        try
        {
            return NetworkText.ParseMac(text);
        }
        catch (FormatException)
        {
            return [];
        }
    }

    private static System.Net.IPAddress? TryAddress(string text) => System.Net.IPAddress.TryParse(text, out var ip) ? ip : null;

    private static string Bounded(string text, int max) => Text(text.Length <= max ? text : text[..max]);

    /// <summary>
    /// The bound on an agent's error message: a failed mount names two paths of up to a few hundred
    /// characters each, and a cut there hid the cause (podman's overlay volume, 2026-12-07).
    /// </summary>
    private const int ErrorMaxLength = 1024;

    /// <summary>Guest text made safe to print: escaped and bounded.</summary>
    private static string Text(string text, int max = 256) => Diagnostics.SafeText.Escape(text, max);
}
