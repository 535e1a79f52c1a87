using Google.Protobuf;
using Grpc.Core;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// <see cref="IDnsQueryChannel"/> over the agent's ForwardDns (a duplex call): part of
/// <see cref="AgentClient"/>, where the protocol's messages stop. The agent's queries are its response
/// messages, the host's answers its request messages. Opened once the agent's response headers say it
/// listens (marked <see cref="AgentMethods.DnsListeningHeader"/>); headers without the mark are a
/// trailers-only answer, an error (a bind that failed, or an agent without the method). Completing
/// half-closes the call: the agent stops listening and ends it. Disposing cancels what is left of it
/// (RST_STREAM), which a call cancelled before its half-close arrived would see instead of the end.
/// </summary>
internal sealed class AgentDnsChannel : IDnsQueryChannel
{
    private const string Method = "ForwardDns";
    private readonly AsyncDuplexStreamingCall<DnsAnswer, DnsQuery> _call;
    private int _disposed;

    private AgentDnsChannel(AsyncDuplexStreamingCall<DnsAnswer, DnsQuery> call) => _call = call;

    public static async Task<IDnsQueryChannel> OpenAsync(Func<AsyncDuplexStreamingCall<DnsAnswer, DnsQuery>> open, CancellationToken cancellationToken)
    {
        var call = open();
        await AgentDuplexCall.OpenAsync(call, Method, AgentMethods.DnsListeningHeader, "the agent answered without listening", null, cancellationToken);
        return new AgentDnsChannel(call);
    }

    public async ValueTask<GuestDnsQuery?> ReadAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (!await _call.ResponseStream.MoveNext(cancellationToken))
                return null;
        }
        catch (RpcException e)
        {
            throw AgentCallFailure.Surface(Method, e);
        }
        var query = _call.ResponseStream.Current;
        return new GuestDnsQuery(query.Id, query.Message.Memory, query.Tcp);
    }

    public async Task AnswerAsync(uint id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        try
        {
            await _call.RequestStream.WriteAsync(new DnsAnswer { Id = id, Message = UnsafeByteOperations.UnsafeWrap(message) }, cancellationToken);
        }
        catch (RpcException e)
        {
            throw AgentCallFailure.Surface(Method, e);
        }
    }

    public Task CompleteAsync() => AgentDuplexCall.CompleteAsync(_call);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            _call.Dispose();
        return ValueTask.CompletedTask;
    }
}
