using System.Threading.Channels;
using SandboxRt.Runtime.Network.EmbeddedDns;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IDnsUpstream"/> that records each query it is sent (<see cref="Sent"/>, in order) and
/// answers with <see cref="Answer"/> (the query itself with "ANSWER" appended unless the test sets it), or,
/// while <see cref="Hold"/> is set, waits for it (or for the cancellation) first.
/// </summary>
internal sealed class FakeDnsUpstream : IDnsUpstream
{
    private readonly Channel<byte[]> _sent = Channel.CreateUnbounded<byte[]>();
    private readonly Channel<bool> _overTcp = Channel.CreateUnbounded<bool>();

    public ChannelReader<byte[]> Sent => _sent.Reader;
    /// <summary>Whether each query in <see cref="Sent"/> was to go over TCP, in the same order.</summary>
    public ChannelReader<bool> SentOverTcp => _overTcp.Reader;
    public TaskCompletionSource? Hold { get; set; }
    public Func<byte[], byte[]?> Answer { get; set; } = query => [.. query, .. "ANSWER"u8];
    /// <summary>Completes when a held query was given up (its cancellation).</summary>
    public TaskCompletionSource GaveUp { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken)
    {
        var copy = query.ToArray();
        _overTcp.Writer.TryWrite(tcp);
        _sent.Writer.TryWrite(copy);
        if (Hold is { } hold)
        {
            try
            {
                await hold.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                GaveUp.TrySetResult();
                throw;
            }
        }
        return Answer(copy);
    }
}
