using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Client;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// The host's view of one guest agent: typed calls over one gRPC channel. Calls take domain values and
/// return domain records; the protobuf messages stay inside this class and <see cref="AgentMapping"/>.
/// </summary>
public sealed class AgentClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
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

    /// <summary>True when the agent answers Health.Check with SERVING.</summary>
    public async Task<bool> CheckAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var response = await _channel.UnaryAsync(AgentMethods.HealthCheck, new HealthCheckRequest(), Options(timeout, cancellationToken));
        return response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
    }

    public async Task<AgentVersionInfo> VersionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await _channel.UnaryAsync(AgentMethods.Version, new VersionRequest(), Options(timeout, cancellationToken)));

    public async Task<GuestDetails> GuestDetailsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AgentMapping.ToDomain(await _channel.UnaryAsync(AgentMethods.GuestDetails, new GuestDetailsRequest(), Options(timeout, cancellationToken)));

    private static CallOptions Options(TimeSpan? timeout, CancellationToken cancellationToken) =>
        new(timeout ?? DefaultTimeout, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
