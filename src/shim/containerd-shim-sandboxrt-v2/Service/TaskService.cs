using SandboxRt.Runtime.Monitoring;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using SandboxRt.Containerd.Protocol;
using SandboxRt.Containerd.Protocol.Cgroups;
using SandboxRt.Grpc;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Shim.Pods;
using SandboxRt.Ttrpc;
using Proto = SandboxRt.Containerd.Protocol.Task;
using ProtoTypes = SandboxRt.Containerd.Protocol.Types;

namespace SandboxRt.Shim.Service;

/// <summary>
/// containerd's Task API (containerd.task.v2.Task) over ttrpc: each method turns its protobuf request
/// into a call on the pod and the result back into protobuf. Protocol types stop here.
/// </summary>
internal sealed class TaskService(Pod pod, Func<bool, bool> shutdown, ILogger log)
{
    private static readonly Empty EmptyResponse = new();

    /// <summary>Adds every Task API method to the table.</summary>
    public TtrpcServiceTable Register(TtrpcServiceTable table)
    {
        Add(table, "Create", Proto.CreateTaskRequest.Parser, CreateAsync);
        Add(table, "Start", Proto.StartRequest.Parser, async (r, ct) => new Proto.StartResponse { Pid = (uint)await pod.StartAsync(r.Id, r.ExecId, ct) });
        Add(table, "Delete", Proto.DeleteRequest.Parser, async (r, ct) => ToDeleteResponse(await pod.DeleteAsync(r.Id, r.ExecId, ct)));
        Add(table, "Exec", Proto.ExecProcessRequest.Parser, ExecAsync);
        Add(table, "State", Proto.StateRequest.Parser, (r, _) => Task.FromResult(ToStateResponse(pod.State(r.Id, r.ExecId))));
        AddEmpty(table, "Kill", Proto.KillRequest.Parser, (r, ct) => pod.KillAsync(r.Id, r.ExecId, checked((int)r.Signal), r.All, ct));
        Add(table, "Wait", Proto.WaitRequest.Parser, async (r, ct) => ToWaitResponse(await pod.WaitAsync(r.Id, r.ExecId, ct)));
        Add(table, "Pids", Proto.PidsRequest.Parser, PidsAsync);
        AddEmpty(table, "Pause", Proto.PauseRequest.Parser, (r, ct) => pod.PauseAsync(r.Id, ct));
        AddEmpty(table, "Resume", Proto.ResumeRequest.Parser, (r, ct) => pod.ResumeAsync(r.Id, ct));
        AddEmpty(table, "ResizePty", Proto.ResizePtyRequest.Parser, (r, ct) => pod.ResizeAsync(r.Id, r.ExecId, checked((int)r.Width), checked((int)r.Height), ct));
        Add(table, "CloseIO", Proto.CloseIORequest.Parser, (r, _) =>
        {
            if (r.Stdin)
                pod.CloseInput(r.Id, r.ExecId);
            return Task.FromResult(EmptyResponse);
        });
        AddEmpty(table, "Update", Proto.UpdateTaskRequest.Parser, (r, ct) =>
            pod.UpdateAsync(r.Id, FromJsonAny(r.Resources, "resources", OciJsonContext.Default.LinuxResources), ct));
        Add(table, "Stats", Proto.StatsRequest.Parser, async (r, ct) => new Proto.StatsResponse { Stats = TypeUrls.Pack(ToMetrics(await pod.StatsAsync(r.Id, ct))) });
        Add(table, "Connect", Proto.ConnectRequest.Parser, (_, _) => Task.FromResult(new Proto.ConnectResponse
        {
            ShimPid = (uint)Environment.ProcessId,
            TaskPid = (uint)pod.VmPid,
            Version = BuildVersion.Version,
        }));
        Add(table, "Shutdown", Proto.ShutdownRequest.Parser, (r, _) =>
        {
            shutdown(r.Now);
            return Task.FromResult(EmptyResponse);
        });
        Add<Proto.CheckpointTaskRequest, Empty>(table, "Checkpoint", Proto.CheckpointTaskRequest.Parser, (_, _) =>
            throw new NotSupportedException("checkpoint: SandboxRt cannot checkpoint a container in a VM"));
        return table;
    }

    private void Add<TRequest, TResponse>(TtrpcServiceTable table, string method, MessageParser<TRequest> parser, Func<TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse> =>
        table.Add(TaskApi.Service, method, parser, async (request, context) =>
        {
            try
            {
                return await handler(request, context.CancellationToken);
            }
            catch (Exception e)
            {
                var status = TaskErrors.ToStatus(e);
                var level = status.Code is StatusCode.NotFound or StatusCode.FailedPrecondition ? LogLevel.Debug : LogLevel.Error;
                log.Log(level, "{Method}: {Code}: {Error}", method, status.Code, status.Message);
                throw status;
            }
        });

    private void AddEmpty<TRequest>(TtrpcServiceTable table, string method, MessageParser<TRequest> parser, Func<TRequest, CancellationToken, Task> handler)
        where TRequest : IMessage<TRequest> =>
        Add(table, method, parser, async (request, cancellationToken) =>
        {
            await handler(request, cancellationToken);
            return EmptyResponse;
        });

    private async Task<Proto.CreateTaskResponse> CreateAsync(Proto.CreateTaskRequest r, CancellationToken cancellationToken)
    {
        if (r.Checkpoint.Length > 0 || r.ParentCheckpoint.Length > 0)
            throw new NotSupportedException($"create {r.Id}: restoring from a checkpoint is not supported");
        var request = new CreateTaskRequest(
            r.Id,
            r.Bundle,
            [.. r.Rootfs.Select(m => new RootfsMount(m.Type, m.Source, [.. m.Options]))],
            new ProcessIo(r.Stdin, r.Stdout, r.Stderr, r.Terminal));
        var started = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var pid = await pod.CreateAsync(request, cancellationToken);
            MonitorJournal.Latency(JournalKind.Create, started.Elapsed);
            return new Proto.CreateTaskResponse { Pid = (uint)pid };
        }
        catch
        {
            MonitorJournal.Error("create");
            throw;
        }
    }

    private Task<Empty> ExecAsync(Proto.ExecProcessRequest r, CancellationToken cancellationToken)
    {
        var spec = FromJsonAny(r.Spec, "spec", OciJsonContext.Default.Process);
        pod.AddExec(r.Id, r.ExecId, new ProcessIo(r.Stdin, r.Stdout, r.Stderr, r.Terminal), spec);
        return Task.FromResult(EmptyResponse);
    }

    private async Task<Proto.PidsResponse> PidsAsync(Proto.PidsRequest r, CancellationToken cancellationToken)
    {
        var response = new Proto.PidsResponse();
        foreach (var p in await pod.PidsAsync(r.Id, cancellationToken))
            response.Processes.Add(new ProtoTypes.ProcessInfo { Pid = (uint)p.Pid });
        return response;
    }

    /// <summary>The OCI types containerd sends as JSON inside an Any (its typeurl registers them that way).</summary>
    private static T FromJsonAny<T>(Any? any, string field, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (any is null || any.Value.IsEmpty)
            throw new ArgumentException($"{field}: missing");
        if (any.Value.Length > Oci.Validation.SpecLoader.MaxConfigBytes)
            throw new ArgumentException($"{field}: {any.Value.Length} bytes is more than the {Oci.Validation.SpecLoader.MaxConfigBytes} allowed");
        try
        {
            return JsonSerializer.Deserialize(any.Value.Span, type) ?? throw new ArgumentException($"{field}: null");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{field} ({any.TypeUrl}): not valid JSON: {e.Message}");
        }
    }

    private static Proto.DeleteResponse ToDeleteResponse(ProcessExitInfo exit) => new()
    {
        Pid = (uint)exit.Pid,
        ExitStatus = (uint)exit.Status,
        ExitedAt = Stamp(exit.ExitedAt),
    };

    private static Proto.WaitResponse ToWaitResponse(ProcessExitInfo exit) => new() { ExitStatus = (uint)exit.Status, ExitedAt = Stamp(exit.ExitedAt) };

    private static Proto.StateResponse ToStateResponse(ProcessSnapshot s)
    {
        var response = new Proto.StateResponse
        {
            Id = s.ExecId.Length > 0 ? s.ExecId : s.ContainerId,
            ExecId = s.ExecId,
            Bundle = s.Bundle,
            Pid = (uint)s.Pid,
            Status = s.Status switch
            {
                SandboxRt.Runtime.State.ContainerStatus.Created => ProtoTypes.Status.Created,
                SandboxRt.Runtime.State.ContainerStatus.Running => ProtoTypes.Status.Running,
                SandboxRt.Runtime.State.ContainerStatus.Paused => ProtoTypes.Status.Paused,
                _ => ProtoTypes.Status.Stopped,
            },
            Stdin = s.Io.Stdin,
            Stdout = s.Io.Stdout,
            Stderr = s.Io.Stderr,
            Terminal = s.Io.Terminal,
            ExitStatus = (uint)s.ExitStatus,
        };
        if (s.ExitedAt is { } at)
            response.ExitedAt = Stamp(at);
        return response;
    }

    internal static Metrics ToMetrics(ContainerStats s)
    {
        var metrics = new Metrics
        {
            Pids = new PidsStat { Current = s.PidsCurrent, Limit = s.PidsLimit },
            Cpu = new CPUStat { UsageUsec = s.CpuUsageUsec, UserUsec = s.CpuUserUsec, SystemUsec = s.CpuSystemUsec },
            // "max" is MaxUint64, as containerd's cgroups library reports it: the CRI's available_bytes is limit - working set
            // only below 2^62, and a 0 made it wrap around; inactive_file is what the CRI takes out of usage for the working set
            Memory = new MemoryStat
            {
                Usage = s.MemoryUsageBytes, UsageLimit = s.MemoryLimitBytes == 0 ? ulong.MaxValue : s.MemoryLimitBytes, Anon = s.MemoryAnonBytes, File = s.MemoryFileBytes,
                InactiveFile = s.MemoryInactiveFileBytes, ActiveFile = s.MemoryActiveFileBytes, Shmem = s.MemoryShmemBytes, Pgfault = s.PageFaults, Pgmajfault = s.MajorPageFaults,
            },
            MemoryEvents = new MemoryEvents { OomKill = s.OomKills },
            Io = new IOStat(),
        };
        metrics.Io.Usage.Add(new IOEntry { Rbytes = s.IoReadBytes, Wbytes = s.IoWriteBytes });
        return metrics;
    }

    internal static Timestamp Stamp(DateTime at) =>
        Timestamp.FromDateTime(at.Kind == DateTimeKind.Utc ? at : DateTime.SpecifyKind(at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : at, DateTimeKind.Utc));
}
