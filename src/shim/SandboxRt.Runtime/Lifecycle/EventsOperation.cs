using System.Text.Json.Nodes;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc events: JSON lines on stdout. "stats" events carry the container's cgroup statistics from inside
/// the guest (once with --stats, else every interval); "oom" events report OOM kills. Ends when the
/// container stops.
/// </summary>
public static class EventsOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, bool statsOnce, TimeSpan interval, TextWriter output, CancellationToken cancellationToken)
    {
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Inspect("get events for", $"container {id}");
        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        if (statsOnce)
        {
            output.WriteLine(StatsEvent(id, await agent.StatsAsync(id, cancellationToken)).ToJsonString());
            return;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Task.Run(async () =>
        {
            await foreach (var e in agent.EventsAsync(stop.Token))
                if (e.ContainerId == id && e.Oom)
                    lock (output)
                        output.WriteLine(new JsonObject { ["type"] = "oom", ["id"] = id }.ToJsonString());
        }, stop.Token);
        try
        {
            while (!stop.IsCancellationRequested && context.Refresh(id).Status != ContainerStatus.Stopped)
            {
                var stats = await agent.StatsAsync(id, stop.Token);
                lock (output)
                {
                    output.WriteLine(StatsEvent(id, stats).ToJsonString());
                    output.Flush();
                }
                await Task.Delay(interval, stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or AgentException)
        {
        }
        finally
        {
            stop.Cancel();
            try
            {
                await events;
            }
            catch (Exception e) when (e is OperationCanceledException or AgentException)
            {
            }
        }
    }

    /// <summary>runc's stats event shape (types.Stats), with what cgroup v2 in the guest provides.</summary>
    public static JsonObject StatsEvent(string id, ContainerStats s) => new()
    {
        ["type"] = "stats",
        ["id"] = id,
        ["data"] = new JsonObject
        {
            ["cpu"] = new JsonObject
            {
                ["usage"] = new JsonObject { ["total"] = s.CpuUsageUsec * 1000, ["kernel"] = s.CpuSystemUsec * 1000, ["user"] = s.CpuUserUsec * 1000 },
            },
            ["memory"] = new JsonObject
            {
                ["usage"] = new JsonObject { ["usage"] = s.MemoryUsageBytes, ["limit"] = s.MemoryLimitBytes },
                ["raw"] = new JsonObject
                {
                    ["anon"] = s.MemoryAnonBytes, ["file"] = s.MemoryFileBytes, ["oom_kill"] = s.OomKills, ["inactive_file"] = s.MemoryInactiveFileBytes,
                    ["active_file"] = s.MemoryActiveFileBytes, ["shmem"] = s.MemoryShmemBytes, ["pgfault"] = s.PageFaults, ["pgmajfault"] = s.MajorPageFaults,
                },
            },
            ["pids"] = new JsonObject { ["current"] = s.PidsCurrent, ["limit"] = s.PidsLimit },
            ["blkio"] = new JsonObject { ["ioServiceBytesRecursive"] = new JsonArray(
                new JsonObject { ["op"] = "Read", ["value"] = s.IoReadBytes },
                new JsonObject { ["op"] = "Write", ["value"] = s.IoWriteBytes }) },
        },
    };
}
