using Google.Protobuf;
using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Services;

/// <summary>
/// The sandbox, container, process, stdio and event RPCs. Handlers translate protocol messages into
/// calls on <see cref="ContainerManager"/> (through <see cref="ContainerMapping"/>) and back; errors
/// become status codes in <see cref="StatusMapping"/>.
/// </summary>
internal sealed class ContainerService(ContainerManager containers)
{
    public void Register(GrpcServiceTable table) => table
        .AddUnary(AgentMethods.CreateSandbox, CreateSandboxAsync)
        .AddUnary(AgentMethods.DestroySandbox, DestroySandboxAsync)
        .AddUnary(AgentMethods.CreateContainer, CreateContainerAsync)
        .AddUnary(AgentMethods.StartContainer, async (r, _) => { await containers.StartAsync(r.ContainerId); return new Empty(); })
        .AddUnary(AgentMethods.RemoveContainer, async (r, _) => { await containers.RemoveAsync(r.ContainerId, r.Force); return new Empty(); })
        .AddUnary(AgentMethods.PauseContainer, async (r, _) => { await containers.PauseAsync(r.ContainerId, true); return new Empty(); })
        .AddUnary(AgentMethods.ResumeContainer, async (r, _) => { await containers.PauseAsync(r.ContainerId, false); return new Empty(); })
        .AddUnary(AgentMethods.UpdateContainer, UpdateContainerAsync)
        .AddUnary(AgentMethods.StatsContainer, (r, _) => Task.FromResult(ContainerMapping.ToStats(containers.Get(r.ContainerId).Cgroup.ReadStats())))
        .AddUnary(AgentMethods.ExecProcess, ExecProcessAsync)
        .AddUnary(AgentMethods.SignalProcess, (r, _) => { containers.Signal(r.ContainerId, r.ExecId, (int)r.Signal, r.All); return Task.FromResult(new Empty()); })
        .AddUnary(AgentMethods.WaitProcess, WaitProcessAsync)
        .AddUnary(AgentMethods.ListProcesses, ListProcessesAsync)
        .AddServerStreaming(AgentMethods.ReadStdout, async (r, w, ctx) => await StreamAsync((await ProcessAsync(r, ctx)).Io.AttachStdout(), w, ctx))
        .AddServerStreaming(AgentMethods.ReadStderr, async (r, w, ctx) => await StreamAsync((await ProcessAsync(r, ctx)).Io.AttachStderr(), w, ctx))
        .AddUnary(AgentMethods.WriteStdin, WriteStdinAsync)
        .AddUnary(AgentMethods.CloseStdin, (r, _) => { containers.Get(r.ContainerId).Process(r.ExecId).Io.CloseStdin(); return Task.FromResult(new Empty()); })
        .AddClientStreaming(AgentMethods.StreamStdin, new StdinStreamHandler(containers).HandleAsync, StdinStreamHandler.MaxMessageSize)
        .AddUnary(AgentMethods.TtyWinResize, TtyWinResizeAsync)
        .AddServerStreaming(AgentMethods.GetEvents, GetEventsAsync);

    private static Task<Empty> CreateSandboxAsync(CreateSandboxRequest r, ServerCallContext context)
    {
        SandboxSetup.Create(r.Hostname, r.Dns, r.Shared?.Driver ?? "", r.Shared?.Tag ?? "");
        return Task.FromResult(new Empty());
    }

    private async Task<Empty> DestroySandboxAsync(DestroySandboxRequest r, ServerCallContext context)
    {
        foreach (var c in containers.All)
            await containers.RemoveAsync(c.Id, force: true);
        SandboxSetup.Destroy();
        return new Empty();
    }

    private async Task<CreateContainerResponse> CreateContainerAsync(CreateContainerRequest r, ServerCallContext context)
    {
        var spec = SpecLoader.Parse(r.SpecJson, "spec_json");
        SpecPaths.ResolveInShared(spec);
        SharedShmMounts.Resolve(spec);
        var container = await containers.CreateAsync(r.ContainerId, spec, r.Stdin);
        return new CreateContainerResponse { Pid = (uint)container.Init.Pid };
    }

    private Task<Empty> UpdateContainerAsync(UpdateContainerRequest r, ServerCallContext context)
    {
        var resources = ContainerMapping.ParseResources(r.ResourcesJson);
        containers.Get(r.ContainerId).Cgroup.Update(resources);
        return Task.FromResult(new Empty());
    }

    private async Task<ExecProcessResponse> ExecProcessAsync(ExecProcessRequest r, ServerCallContext context)
    {
        SandboxRt.Oci.Spec.Process process;
        try
        {
            process = ContainerMapping.ParseProcess(r.ProcessJson);
        }
        catch
        {
            containers.ExecFailed(r.ContainerId, r.ExecId);
            throw;
        }
        var p = await containers.ExecAsync(r.ContainerId, r.ExecId, process, r.Stdin);
        return new ExecProcessResponse { Pid = (uint)p.Pid };
    }

    /// <summary>
    /// The process a call names; a call marked <see cref="AgentMethods.AwaitExecHeader"/> (sent together
    /// with its ExecProcess) waits for the exec to start (<see cref="ExecStartWaiters"/>).
    /// </summary>
    private Task<ContainerProcess> ProcessAsync(ProcessRequest r, ServerCallContext context) =>
        containers.Get(r.ContainerId).ProcessAsync(r.ExecId, AwaitsExec(context), context.CancellationToken);

    internal static bool AwaitsExec(ServerCallContext context) => context.GetRequestHeader(AgentMethods.AwaitExecHeader) is not null;

    private async Task<WaitProcessResponse> WaitProcessAsync(ProcessRequest r, ServerCallContext context)
    {
        var p = await ProcessAsync(r, context);
        var status = await p.Recorded.WaitAsync(context.CancellationToken);
        return ContainerMapping.ToWaitResponse(p, status);
    }

    private Task<ListProcessesResponse> ListProcessesAsync(ContainerRequest r, ServerCallContext context)
    {
        var response = new ListProcessesResponse();
        foreach (var pid in containers.Get(r.ContainerId).Cgroup.Pids())
            if (GuestProcessInfo.Read(pid) is { } info)
                response.Processes.Add(ContainerMapping.ToProcessInfo(info));
        return Task.FromResult(response);
    }

    private async Task<WriteStdinResponse> WriteStdinAsync(WriteStdinRequest r, ServerCallContext context)
    {
        var data = r.Data.ToByteArray();
        await containers.Get(r.ContainerId).Process(r.ExecId).Io.WriteStdinAsync(data, context.CancellationToken);
        return new WriteStdinResponse { Written = (uint)data.Length };
    }

    private Task<Empty> TtyWinResizeAsync(TtyWinResizeRequest r, ServerCallContext context)
    {
        if (r.Rows > ushort.MaxValue || r.Columns > ushort.MaxValue)
            throw new ArgumentException($"window size {r.Rows}x{r.Columns} is out of range");
        containers.Get(r.ContainerId).Process(r.ExecId).Io.Resize((ushort)r.Rows, (ushort)r.Columns);
        return Task.FromResult(new Empty());
    }

    private static async Task StreamAsync(System.Threading.Channels.ChannelReader<byte[]> output, IServerStreamWriter<OutputChunk> writer, ServerCallContext context)
    {
        await foreach (var chunk in output.ReadAllAsync(context.CancellationToken))
            await writer.WriteAsync(new OutputChunk { Data = UnsafeByteOperations.UnsafeWrap(chunk) }, context.CancellationToken);
    }

    private async Task GetEventsAsync(GetEventsRequest r, IServerStreamWriter<Event> writer, ServerCallContext context)
    {
        await foreach (var e in containers.Events.SubscribeAsync(context.CancellationToken))
            await writer.WriteAsync(ContainerMapping.ToEvent(e), context.CancellationToken);
    }
}
