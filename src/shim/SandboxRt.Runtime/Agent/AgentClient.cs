using System.Runtime.CompilerServices;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SandboxRt.Agent.Protocol;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Network;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// The host's view of one guest agent: typed calls over one gRPC channel (Grpc.Net.Client, with the
/// client stubs Grpc.Tools generates from agent.proto). Calls take domain values and return domain
/// records; protobuf messages stay inside this class and <see cref="AgentMapping"/>, and a failed call
/// surfaces as <see cref="AgentException"/>, its kind read from the gRPC status code.
/// </summary>
public sealed class AgentClient : IAgent
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Creating, starting and exec'ing wait on a new init process in the guest, which the agent bounds by
    /// 60 s itself and then fails with an error naming the step: the host waits longer, so that the
    /// agent's error, not a bare deadline, is what the caller sees (10 VMs booting at once under TCG on two
    /// cores took longer than 60 s).
    /// </summary>
    public static readonly TimeSpan ProcessSetupTimeout = TimeSpan.FromSeconds(90);
    private const int MaxMessageSize = 16 * 1024 * 1024;

    /// <summary>How long a call keeps trying to get a connection before it fails as Unavailable.</summary>
    public static readonly TimeSpan ConnectRetryWindow = TimeSpan.FromSeconds(60);
    private static readonly Uri Address = new("http://sandboxrt-agent");

    private readonly SocketsHttpHandler _handler;
    private readonly GrpcChannel _channel;
    private readonly Health.HealthClient _health;
    private readonly AgentService.AgentServiceClient _agent;

    /// <param name="connector">How to reach the agent.</param>
    /// <param name="firstStream">An already-established stream to use for the first connection (from the boot wait).</param>
    public AgentClient(IAgentConnector connector, Stream? firstStream = null)
    {
        Connector = connector;
        var pending = firstStream;
        _handler = AgentHttpHandler.Create(ct =>
        {
            var stream = Interlocked.Exchange(ref pending, null);
            return stream is not null ? ValueTask.FromResult(stream) : connector.ConnectAsync(ct);
        });
        _channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            HttpHandler = _handler,
            DisposeHttpClient = false,
            MaxReceiveMessageSize = MaxMessageSize,
            MaxSendMessageSize = MaxMessageSize,
        });
        _health = new Health.HealthClient(_channel);
        _agent = new AgentService.AgentServiceClient(_channel);
    }

    public IAgentConnector Connector { get; }

    /// <summary>
    /// A Kestrel application that forwards every gRPC call it receives to this agent over this client's
    /// connection: how the process holding a one-client channel (virtio-serial) shares it.
    /// </summary>
    public Microsoft.AspNetCore.Hosting.Server.IHttpApplication<Microsoft.AspNetCore.Http.HttpContext> CreateProxy() =>
        new SandboxRt.Grpc.Server.GrpcProxyApplication(new HttpMessageInvoker(_handler, disposeHandler: false), Address);

    // --- health and guest ----------------------------------------------------------------------

    /// <summary>True when the agent answers Health.Check with SERVING.</summary>
    public async Task<bool> CheckAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        (await Call("Check", o => _health.CheckAsync(new HealthCheckRequest(), o), timeout, cancellationToken)).Status == HealthCheckResponse.Types.ServingStatus.Serving;

    public async Task<AgentVersionInfo> VersionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call("Version", o => _health.VersionAsync(new VersionRequest(), o), timeout, cancellationToken));

    public async Task<(int Cpus, long MemoryMib)> OnlineCpuMemAsync(int cpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        var r = await Call("OnlineCpuMem", o => _agent.OnlineCpuMemAsync(new OnlineCpuMemRequest { Cpus = (uint)cpus, MemoryMib = (ulong)memoryMib }, o), null, cancellationToken);
        return ((int)Math.Min(r.Cpus, int.MaxValue), (long)Math.Min(r.MemoryMib, long.MaxValue)); // bounded: the guest is not trusted
    }

    /// <summary>The first call to a VM restored from a template: its own token, fresh entropy and the clock (see ReseedService in the agent).</summary>
    public async Task ReseedGuestAsync(byte[] token, CancellationToken cancellationToken = default) =>
        await Call("ReseedGuest", o => _agent.ReseedGuestAsync(new ReseedGuestRequest
        {
            AgentToken = ByteString.CopyFrom(token),
            Entropy = ByteString.CopyFrom(System.Security.Cryptography.RandomNumberGenerator.GetBytes(256)),
            RealtimeNs = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100,
        }, o), null, cancellationToken);

    public async Task<GuestDetails> GuestDetailsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call("GuestDetails", o => _agent.GuestDetailsAsync(new GuestDetailsRequest(), o), timeout, cancellationToken));

    /// <summary>
    /// <paramref name="bytes"/> bytes of <paramref name="pattern"/> generated by the agent (no container in the way), as they arrive.
    /// </summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> StreamTestDataAsync(ulong bytes, ReadOnlyMemory<byte> pattern, CancellationToken cancellationToken = default) =>
        Stream("StreamTestData", o => _agent.StreamTestData(new StreamTestDataRequest { Bytes = bytes, Pattern = ByteString.CopyFrom(pattern.Span) }, o), c => c.Data.Memory, cancellationToken);

    // --- sandbox and containers ------------------------------------------------------------------

    public Task CreateSandboxAsync(string sandboxId, string hostname, IEnumerable<string> dns, string sharedDriver, string sharedTag, CancellationToken cancellationToken = default)
    {
        var request = new CreateSandboxRequest { SandboxId = sandboxId, Hostname = hostname, Shared = new SharedStorage { Driver = sharedDriver, Tag = sharedTag } };
        request.Dns.AddRange(dns);
        return Call("CreateSandbox", o => _agent.CreateSandboxAsync(request, o), null, cancellationToken);
    }

    public Task DestroySandboxAsync(CancellationToken cancellationToken = default) =>
        Call("DestroySandbox", o => _agent.DestroySandboxAsync(new DestroySandboxRequest(), o), null, cancellationToken);

    /// <summary>Creates a container from a spec whose root.path and bind sources are relative to the shared directory.</summary>
    public async Task<int> CreateContainerAsync(string id, Spec spec, bool stdin, CancellationToken cancellationToken = default)
    {
        var request = new CreateContainerRequest { ContainerId = id, SpecJson = JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec), Stdin = stdin };
        return (int)(await Call("CreateContainer", o => _agent.CreateContainerAsync(request, o), ProcessSetupTimeout, cancellationToken)).Pid;
    }

    public Task StartContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call("StartContainer", o => _agent.StartContainerAsync(new ContainerRequest { ContainerId = id }, o), ProcessSetupTimeout, cancellationToken);

    public Task RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken = default) =>
        Call("RemoveContainer", o => _agent.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id, Force = force }, o), null, cancellationToken);

    public Task PauseContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call("PauseContainer", o => _agent.PauseContainerAsync(new ContainerRequest { ContainerId = id }, o), null, cancellationToken);

    public Task ResumeContainerAsync(string id, CancellationToken cancellationToken = default) =>
        Call("ResumeContainer", o => _agent.ResumeContainerAsync(new ContainerRequest { ContainerId = id }, o), null, cancellationToken);

    public Task UpdateContainerAsync(string id, LinuxResources resources, CancellationToken cancellationToken = default) =>
        Call("UpdateContainer", o => _agent.UpdateContainerAsync(new UpdateContainerRequest { ContainerId = id, ResourcesJson = JsonSerializer.Serialize(resources, OciJsonContext.Default.LinuxResources) }, o), null, cancellationToken);

    public async Task<ContainerStats> StatsAsync(string id, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call("StatsContainer", o => _agent.StatsContainerAsync(new ContainerRequest { ContainerId = id }, o), null, cancellationToken));

    // --- processes -------------------------------------------------------------------------------

    public async Task<int> ExecAsync(string id, string execId, Process process, bool stdin, CancellationToken cancellationToken = default)
    {
        var request = new ExecProcessRequest { ContainerId = id, ExecId = execId, ProcessJson = JsonSerializer.Serialize(process, OciJsonContext.Default.Process), Stdin = stdin };
        return (int)(await Call("ExecProcess", o => _agent.ExecProcessAsync(request, o), ProcessSetupTimeout, cancellationToken)).Pid;
    }

    public Task SignalAsync(string id, string execId, int signal, bool all, CancellationToken cancellationToken = default) =>
        Call("SignalProcess", o => _agent.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, ExecId = execId, Signal = (uint)signal, All = all }, o), null, cancellationToken);

    /// <summary>Waits, without a deadline, until the process exits (awaiting its exec's start: see <see cref="AgentMethods.AwaitExecHeader"/>).</summary>
    public async Task<ProcessExit> WaitAsync(string id, string execId, bool awaitStart = false, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call("WaitProcess", o => _agent.WaitProcessAsync(new ProcessRequest { ContainerId = id, ExecId = execId }, o), Timeout.InfiniteTimeSpan, cancellationToken, Headers(awaitStart)));

    private static readonly Metadata AwaitExec = new() { { AgentMethods.AwaitExecHeader, "1" } };

    private static Metadata? Headers(bool awaitStart) => awaitStart ? AwaitExec : null;

    public async Task<IReadOnlyList<GuestProcess>> ListProcessesAsync(string id, CancellationToken cancellationToken = default) =>
        (await Call("ListProcesses", o => _agent.ListProcessesAsync(new ContainerRequest { ContainerId = id }, o), null, cancellationToken)).Processes.Select(AgentMapping.ToDomain).ToList();

    // --- networking ------------------------------------------------------------------------------

    /// <summary>Gives the guest NIC with the interface's MAC its name, MTU and addresses; returns the guest's view of it.</summary>
    public async Task<PodInterface> UpdateInterfaceAsync(PodInterface wanted, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await Call("UpdateInterface", o => _agent.UpdateInterfaceAsync(new UpdateInterfaceRequest { Interface = AgentMapping.ToMessage(wanted) }, o), null, cancellationToken));

    public async Task<IReadOnlyList<PodRoute>> UpdateRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default)
    {
        var request = new UpdateRoutesRequest();
        request.Routes.AddRange(routes.Select(AgentMapping.ToMessage));
        return (await Call("UpdateRoutes", o => _agent.UpdateRoutesAsync(request, o), null, cancellationToken)).Routes_.Select(AgentMapping.ToDomain).ToList();
    }

    public async Task<IReadOnlyList<PodRoute>> RemoveRoutesAsync(IEnumerable<PodRoute> routes, CancellationToken cancellationToken = default)
    {
        var request = new RemoveRoutesRequest();
        request.Routes.AddRange(routes.Select(AgentMapping.ToMessage));
        return (await Call("RemoveRoutes", o => _agent.RemoveRoutesAsync(request, o), null, cancellationToken)).Routes_.Select(AgentMapping.ToDomain).ToList();
    }

    public Task AddNeighboursAsync(IEnumerable<PodNeighbour> neighbours, CancellationToken cancellationToken = default)
    {
        var request = new AddARPNeighborsRequest();
        request.Neighbors.AddRange(neighbours.Select(AgentMapping.ToMessage));
        return Call("AddARPNeighbors", o => _agent.AddARPNeighborsAsync(request, o), null, cancellationToken);
    }

    public async Task<IReadOnlyList<PodInterface>> ListInterfacesAsync(CancellationToken cancellationToken = default) =>
        (await Call("ListInterfaces", o => _agent.ListInterfacesAsync(new ListInterfacesRequest(), o), null, cancellationToken)).Interfaces_.Select(AgentMapping.ToDomain).ToList();

    public async Task<IReadOnlyList<PodRoute>> ListRoutesAsync(CancellationToken cancellationToken = default) =>
        (await Call("ListRoutes", o => _agent.ListRoutesAsync(new ListRoutesRequest(), o), null, cancellationToken)).Routes_.Select(AgentMapping.ToDomain).ToList();

    // --- stdio -----------------------------------------------------------------------------------

    /// <summary>The process's stdout (or stderr) until its last writer closes it.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadOutputAsync(string id, string execId, bool stderr, bool awaitStart = false, CancellationToken cancellationToken = default)
    {
        var request = new ProcessRequest { ContainerId = id, ExecId = execId };
        return stderr
            ? Stream("ReadStderr", o => _agent.ReadStderr(request, o), c => c.Data.Memory, cancellationToken, Headers(awaitStart))
            : Stream("ReadStdout", o => _agent.ReadStdout(request, o), c => c.Data.Memory, cancellationToken, Headers(awaitStart));
    }

    /// <summary>
    /// The process's stdin as one StreamStdin call, with no deadline (it lasts as long as the input); with
    /// an agent older than StreamStdin, Kata's unary WriteStdin per chunk and CloseStdin.
    /// </summary>
    public IStdinStream OpenStdin(string id, string execId, bool closeAtEnd, bool awaitStart = false, CancellationToken cancellationToken = default) =>
        new AgentStdinStream(() => _agent.StreamStdin(new CallOptions(Headers(awaitStart), cancellationToken: cancellationToken)), id, execId, closeAtEnd,
            (data, ct) => Call("WriteStdin", o => _agent.WriteStdinAsync(new WriteStdinRequest { ContainerId = id, ExecId = execId, Data = UnsafeByteOperations.UnsafeWrap(data) }, o), Timeout.InfiniteTimeSpan, ct),
            ct => Call("CloseStdin", o => _agent.CloseStdinAsync(new ProcessRequest { ContainerId = id, ExecId = execId }, o), null, ct));

    public Task ResizeAsync(string id, string execId, int rows, int columns, CancellationToken cancellationToken = default) =>
        Call("TtyWinResize", o => _agent.TtyWinResizeAsync(new TtyWinResizeRequest { ContainerId = id, ExecId = execId, Rows = (uint)rows, Columns = (uint)columns }, o), null, cancellationToken);

    /// <summary>
    /// The forwarding of Docker's embedded DNS (ForwardDns): no deadline, it lasts until disposed;
    /// <paramref name="cancellationToken"/> bounds only the wait for the agent to listen.
    /// </summary>
    public Task<IDnsQueryChannel> ForwardDnsAsync(CancellationToken cancellationToken = default) =>
        AgentDnsChannel.OpenAsync(() => _agent.ForwardDns(new CallOptions()), cancellationToken);

    /// <summary>
    /// A connection to a guest port (ForwardPort): no deadline, it lasts until the guest's server closes it
    /// or it is disposed; <paramref name="cancellationToken"/> bounds only the wait for the agent to connect.
    /// </summary>
    public Task<IPortChannel> ForwardPortAsync(int port, CancellationToken cancellationToken = default) =>
        AgentPortChannel.OpenAsync(port, () => _agent.ForwardPort(new CallOptions()), cancellationToken);

    /// <summary>Exits and OOM kills from now on, until cancelled.</summary>
    public IAsyncEnumerable<AgentEvent> EventsAsync(CancellationToken cancellationToken = default) =>
        Stream("GetEvents", o => _agent.GetEvents(new GetEventsRequest(), o), AgentMapping.ToDomain, cancellationToken);

    /// <summary>A server stream, each message mapped to its domain form, with failures as AgentException.</summary>
    private static async IAsyncEnumerable<TOut> Stream<TResponse, TOut>(string method, Func<CallOptions, AsyncServerStreamingCall<TResponse>> start, Func<TResponse, TOut> map,
        [EnumeratorCancellation] CancellationToken cancellationToken, Metadata? headers = null)
    {
        using var call = start(new CallOptions(headers, cancellationToken: cancellationToken));
        while (true)
        {
            TResponse next;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken))
                    yield break;
                next = call.ResponseStream.Current;
            }
            catch (RpcException e)
            {
                throw AgentCallFailure.Surface(method, e);
            }
            yield return map(next);
        }
    }

    /// <summary>
    /// A unary call with its deadline (<paramref name="timeout"/>, <see cref="DefaultTimeout"/> when null,
    /// none when infinite). A call that never left because no connection could be set up is tried again
    /// for up to <see cref="ConnectRetryWindow"/> (a loaded host can be slow to answer a new one).
    /// </summary>
    private static async Task<TResponse> Call<TResponse>(string method, Func<CallOptions, AsyncUnaryCall<TResponse>> start, TimeSpan? timeout, CancellationToken cancellationToken, Metadata? headers = null)
    {
        var effective = timeout ?? DefaultTimeout;
        var giveUp = DateTime.UtcNow + ConnectRetryWindow;
        while (true)
        {
            try
            {
                DateTime? deadline = effective == Timeout.InfiniteTimeSpan ? null : DateTime.UtcNow + effective;
                using var call = start(new CallOptions(headers, deadline, cancellationToken));
                return await call.ResponseAsync;
            }
            catch (RpcException e) when (AgentCallFailure.PeerGone(e) is not null)
            {
                // the peer holding the channel (the relay, or the VM) is gone for good: retrying cannot help
                throw AgentCallFailure.Surface(method, e);
            }
            catch (RpcException e) when (AgentCallFailure.NotSent(e) && DateTime.UtcNow < giveUp && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (RpcException e)
            {
                throw AgentMapping.ToException(method, e);
            }
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _handler.Dispose();
    }
}
