using System.Text.Json;
using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Protocol;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Services;

/// <summary>Protocol messages to and from the agent's domain types.</summary>
internal static class ContainerMapping
{
    public static Process ParseProcess(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, OciJsonContext.Default.Process) ?? throw new ArgumentException("process_json: empty");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"process_json: invalid JSON: {e.Message}");
        }
    }

    public static LinuxResources ParseResources(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, OciJsonContext.Default.LinuxResources) ?? new LinuxResources();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"resources_json: invalid JSON: {e.Message}");
        }
    }

    public static WaitProcessResponse ToWaitResponse(ContainerProcess p, WaitStatus status) => new()
    {
        ExitStatus = status.ShellStatus,
        OomKilled = p.OomKilled,
        ExitedAtUnixNanos = ((p.ExitedAt ?? DateTime.UtcNow) - DateTime.UnixEpoch).Ticks * 100,
    };

    public static ProcessInfo ToProcessInfo(GuestProcessInfo info) => new()
    {
        Pid = (uint)info.Pid,
        Ppid = (uint)info.Ppid,
        Uid = info.Uid,
        Command = info.Command,
        RssBytes = info.RssBytes,
        CpuTimeMs = info.CpuTimeMs,
    };

    public static Event ToEvent(ContainerEvent e)
    {
        var message = new Event
        {
            ContainerId = e.ContainerId,
            ExecId = e.ExecId,
            TimestampUnixNanos = (e.Timestamp - DateTime.UnixEpoch).Ticks * 100,
        };
        if (e.Oom)
            message.Oom = new OomEvent();
        else
            message.Exit = new ExitEvent { Pid = (uint)(e.ExitPid ?? 0), ExitStatus = e.ExitStatus ?? 0 };
        return message;
    }

    public static StatsContainerResponse ToStats(ContainerStats s) => new()
    {
        CpuUsageUsec = s.CpuUsageUsec,
        CpuUserUsec = s.CpuUserUsec,
        CpuSystemUsec = s.CpuSystemUsec,
        MemoryUsageBytes = s.MemoryUsageBytes,
        MemoryLimitBytes = s.MemoryLimitBytes,
        MemoryAnonBytes = s.MemoryAnonBytes,
        MemoryFileBytes = s.MemoryFileBytes,
        OomKills = s.OomKills,
        PidsCurrent = s.PidsCurrent,
        PidsLimit = s.PidsLimit,
        IoReadBytes = s.IoReadBytes,
        IoWriteBytes = s.IoWriteBytes,
        MemoryInactiveFileBytes = s.MemoryInactiveFileBytes,
        MemoryActiveFileBytes = s.MemoryActiveFileBytes,
        MemoryShmemBytes = s.MemoryShmemBytes,
        MemoryPgfault = s.PageFaults,
        MemoryPgmajfault = s.MajorPageFaults,
    };
}
