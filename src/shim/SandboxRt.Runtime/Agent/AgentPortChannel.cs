using Google.Protobuf;
using Grpc.Core;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// <see cref="IPortChannel"/> over the agent's ForwardPort (a duplex call): part of <see cref="AgentClient"/>,
/// where the protocol's messages stop. The first request message names the port; the call is open once the
/// agent's response headers say it connected (marked <see cref="AgentMethods.PortConnectedHeader"/>).
/// Headers without the mark are a trailers-only answer: an error (nothing listens on the port, or an agent
/// without the method). Completing half-closes the call; disposing cancels what is left of it.
/// </summary>
internal sealed class AgentPortChannel : IPortChannel
{
    private const string Method = "ForwardPort";
    private readonly AsyncDuplexStreamingCall<PortData, PortData> _call;
    private int _disposed;

    private AgentPortChannel(AsyncDuplexStreamingCall<PortData, PortData> call) => _call = call;

    public static async Task<IPortChannel> OpenAsync(int port, Func<AsyncDuplexStreamingCall<PortData, PortData>> open, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var call = open();
        await AgentDuplexCall.OpenAsync(call, Method, AgentMethods.PortConnectedHeader, "the agent answered without connecting", new PortData { Port = (uint)port }, cancellationToken);
        return new AgentPortChannel(call);
    }

    public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken = default)
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
        return _call.ResponseStream.Current.Data.Memory;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length > IPortChannel.MaxWrite)
            throw new ArgumentException($"{Method}: {data.Length} bytes in one write (at most {IPortChannel.MaxWrite})", nameof(data));
        try
        {
            await _call.RequestStream.WriteAsync(new PortData { Data = ByteString.CopyFrom(data.Span) }, cancellationToken);
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
