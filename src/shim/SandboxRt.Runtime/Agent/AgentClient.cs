using System.Runtime.CompilerServices;
using System.Text.Json;
using Google.Protobuf;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Client;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Channels;

using SandboxRt.Runtime.Network;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// The host's view of one guest agent: typed calls over one gRPC channel. Calls take domain values and
/// return domain records; protobuf messages stay inside this class and <see cref="AgentMapping"/>, and
/// a failed call surfaces as <see cref="AgentException"/>.
/// </summary>
public sealed class AgentClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    public const int MaxStdinChunk = 1024 * 1024;

    /// <summary>How long a call keeps trying to get a connection before it fails as Unavailable.</summary>
    public static readonly TimeSpan ConnectRetryWindow = TimeSpan.FromSeconds(60);
    private readonly GrpcChannel _channel;

    /// <param name="connector">How to reach the agent.</param>
    /// <param name="firstStream">An already-established stream to use for the first connection (from the boot wait).</param>
    public AgentClient(IAgentConnector connector, Stream? firstStream = null)
    {
        Connector = connector;
        var pending = firstStream;
        _channel = new GrpcChannel(ct =>
        {
            var stream = Interlocked.Exchange(ref pending, null);
            return stream is not null ? ValueTask.FromResult(stream) : connector.ConnectAsync(ct);
        }, new GrpcLimits { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxSendMessageSize = 16 * 1024 * 1024 });
    }

    public IAgentConnector Connector { get; }

    /// <summary>
    /// A Kestrel application that forwards every gRPC call it receives to this agent over this client's
    /// connection: how the process holding a one-client channel (virtio-serial) shares it.
    /// </summary>
    public Microsoft.AspNetCore.Hosting.Server.IHttpApplication<Microsoft.AspNetCore.Http.HttpContext> CreateProxy() =>
        new Grpc.Server.GrpcProxyApplication(_channel);

    // --- health and guest ----------------------------------------------------------------------

    /// <summary>True when the agent answers Health.Check with SERVING.</summary>
    public async Task<bool> CheckAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await Call(AgentMethods.HealthCheck, new HealthCheckRequest(), timeout, cancellationToken)).Status == HealthCheckResponse.Types.ServingStatus.Serving;

    public async Task<AgentVersionInfo> VersionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call(AgentMethods.Version, new VersionRequest(), timeout, cancellationToken));

    public async Task<GuestDetails> GuestDetailsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call(AgentMethods.GuestDetails, new GuestDetailsRequest(), timeout, cancellationToken));

    // --- sandbox and containers ------------------------------------------------------------------

    public Task CreateSandboxAsync(string sandboxId, string hostname, IEnumerable<string> dns, string sharedDriver, string sharedTag, CancellationToken cancellationToken = default)
    {
        var request = new CreateSandboxRequest { SandboxId = sandboxId, Hostname = hostname, Shared = new SharedStorage { Driver = sharedDriver, Tag = sharedTag } };
        request.Dns.AddRange(dns);
        return Call(AgentMethods.CreateSandbox, request, null, cancellationToken);
    }

    public Task DestroySandboxAsync(CancellationToken cancellationToken = default) =>
        Call(AgentMethods.DestroySandbox, new DestroySandboxRequest(), null, cancellationToken);

    /// <summary>Creates a container from a spec whose root.path and bind sources are relative to the shared directory.</summary>
    public async Task<int> CreateContainerAsync(string id, Spec spec, bool stdin, CancellationToken cancellationToken = default)
    {
        var request = new CreateContainerRequest { ContainerId = id, SpecJson = JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec), Stdin = stdin };
        return (int)(await Call(AgentMethods.CreateContainer, request, null, cancellationToken)).Pid;
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.StartContainer, new ContainerRequest { ContainerId = id }, null, cancellationToken);

    public Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.RemoveContainer, new RemoveContainerRequest { ContainerId = id, Force = force }, null, cancellationToken);

    public Task PauseContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.PauseContainer, new ContainerRequest { ContainerId = id }, null, cancellationToken);

    public Task ResumeContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.ResumeContainer, new ContainerRequest { ContainerId = id }, null, cancellationToken);

    public Task UpdateContainerAsync(string id, LinuxResources resources, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.UpdateContainer, new UpdateContainerRequest { ContainerId = id, ResourcesJson = JsonSerializer.Serialize(resources, OciJsonContext.Default.LinuxResources) }, null, cancellationToken);

    public async Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call(AgentMethods.StatsContainer, new ContainerRequest { ContainerId = id }, null, cancellationToken));

    // --- processes -------------------------------------------------------------------------------

    public async Task<int> ExecAsync(string id, string execId, Process process, bool stdin, CancellationToken cancellationToken = default)
    {
        var request = new ExecProcessRequest { ContainerId = id, ExecId = execId, ProcessJson = JsonSerializer.Serialize(process, OciJsonContext.Default.Process), Stdin = stdin };
        return (int)(await Call(AgentMethods.ExecProcess, request, null, cancellationToken)).Pid;
    }

    public Task SignalAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.SignalProcess, new SignalProcessRequest { ContainerId = id, ExecId = execId, Signal = (uint)signal, All = all }, null, cancellationToken);

    /// <summary>Waits, without a deadline, until the process exits.</summary>
    public async Task<ProcessExit> WaitAsync(string id, string execId, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call(AgentMethods.WaitProcess, new ProcessRequest { ContainerId = id, ExecId = execId }, Timeout.InfiniteTimeSpan, cancellationToken));

    public async Task<IReadOnlyList<GuestProcess>> ListProcessesAsync(string id, CancellationToken cancellationToken = default) =>
        (await Call(AgentMethods.ListProcesses, new ContainerRequest { ContainerId = id }, null, cancellationToken)).Processes.Select(AgentMapping.ToDomain).ToList();

    // --- networking ------------------------------------------------------------------------------

    /// <summary>Gives the guest NIC with the interface's MAC its name, MTU and addresses; returns the guest's view of it.</summary>
    public async Task<PodInterface> UpdateInterfaceAsync(PodInterface wanted, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call(AgentMethods.UpdateInterface, new UpdateInterfaceRequest { Interface = AgentMapping.ToMessage(wanted) }, null, cancellationToken));

    public async Task<IReadOnlyList<PodRoute>> UpdateRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default)
    {
        var request = new UpdateRoutesRequest();
        request.Routes.AddRange(routes.Select(AgentMapping.ToMessage));
        return (await Call(AgentMethods.UpdateRoutes, request, null, cancellationToken)).Routes_.Select(AgentMapping.ToDomain).ToList();
    }

    public Task AddNeighboursAsync(IEnumerable<PodNeighbour> neighbours, CancellationToken cancellationToken = default)
    {
        var request = new AddARPNeighborsRequest();
        request.Neighbors.AddRange(neighbours.Select(AgentMapping.ToMessage));
        return Call(AgentMethods.AddArpNeighbors, request, null, cancellationToken);
    }

    public async Task<IReadOnlyList<PodInterface>> ListInterfacesAsync(CancellationToken cancellationToken = default) =>
        (await Call(AgentMethods.ListInterfaces, new ListInterfacesRequest(), null, cancellationToken)).Interfaces_.Select(AgentMapping.ToDomain).ToList();

    public async Task<IReadOnlyList<PodRoute>> ListRoutesAsync(CancellationToken cancellationToken = default) =>
        (await Call(AgentMethods.ListRoutes, new ListRoutesRequest(), null, cancellationToken)).Routes_.Select(AgentMapping.ToDomain).ToList();

    // --- stdio -----------------------------------------------------------------------------------

    /// <summary>The process's stdout (or stderr) until its last writer closes it.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, CancellationToken cancellationToken = default) =>
        Stream(stderr ? AgentMethods.ReadStderr : AgentMethods.ReadStdout, new ProcessRequest { ContainerId = id, ExecId = execId }, c => c.Data.Memory, cancellationToken);

    public async Task WriteStdinAsync(string id, string execId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        for (int offset = 0; offset < data.Length; offset += MaxStdinChunk)
        {
            var chunk = data.Slice(offset, Math.Min(MaxStdinChunk, data.Length - offset));
            await Call(AgentMethods.WriteStdin, new WriteStdinRequest { ContainerId = id, ExecId = execId, Data = UnsafeByteOperations.UnsafeWrap(chunk) }, Timeout.InfiniteTimeSpan, cancellationToken);
        }
    }

    public Task CloseStdinAsync(string id, string execId, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.CloseStdin, new ProcessRequest { ContainerId = id, ExecId = execId }, null, cancellationToken);

    public Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default) =>
        Call(AgentMethods.TtyWinResize, new TtyWinResizeRequest { ContainerId = id, ExecId = execId, Rows = (uint)rows, Columns = (uint)columns }, null, cancellationToken);

    /// <summary>Exits and OOM kills from now on, until cancelled.</summary>
    public IAsyncEnumerable<AgentEvent> EventsAsync(CancellationToken cancellationToken = default) =>
        Stream(AgentMethods.GetEvents, new GetEventsRequest(), AgentMapping.ToDomain, cancellationToken);

    /// <summary>A server stream, each message mapped to its domain form, with failures as AgentException.</summary>
    private async IAsyncEnumerable<TOut> Stream<TRequest, TResponse, TOut>(Method<TRequest, TResponse> method, TRequest request, Func<TResponse, TOut> map,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        await using var e = _channel.ServerStreamingAsync(method, request, new CallOptions(null, cancellationToken)).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            TResponse next;
            try
            {
                if (!await e.MoveNextAsync())
                    yield break;
                next = e.Current;
            }
            catch (RpcException r)
            {
                throw Translate(method.Name, r);
            }
            yield return map(next);
        }
    }

    private async Task<TResponse> Call<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var effective = timeout ?? DefaultTimeout;
        var giveUp = DateTime.UtcNow + ConnectRetryWindow;
        while (true)
        {
            try
            {
                return await _channel.UnaryAsync(method, request, new CallOptions(effective == Timeout.InfiniteTimeSpan ? null : effective, cancellationToken));
            }
            catch (RpcException e) when (e.NotSent && DateTime.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
            {
                // The connection could not be set up (a loaded host can be slow to answer a new one);
                // the call never left, so it is safe to try again.
                await Task.Delay(200, cancellationToken);
            }
            catch (RpcException e)
            {
                throw Translate(method.Name, e);
            }
        }
    }

    private static AgentException Translate(string method, RpcException e) => new(AgentMapping.ToKind(e.Status), method, e.Detail, e);

    public void Dispose() => _channel.Dispose();
}
