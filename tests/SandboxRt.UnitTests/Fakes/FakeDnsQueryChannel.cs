using System.Threading.Channels;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// The agent's end of a DNS forwarding, scripted: the test sends queries as the guest would
/// (<see cref="Query"/>; <see cref="End"/> ends the forwarding as the agent would), and reads the answers
/// the host returned from <see cref="Answers"/>. Fails a concurrent <see cref="AnswerAsync"/>, which the
/// real call does not allow.
/// </summary>
internal sealed class FakeDnsQueryChannel : IDnsQueryChannel
{
    private readonly Channel<GuestDnsQuery> _queries = Channel.CreateUnbounded<GuestDnsQuery>();
    private readonly Channel<(uint Id, byte[] Message)> _answers = Channel.CreateUnbounded<(uint, byte[])>();
    private readonly List<(int Count, TaskCompletionSource Waiter)> _reads = [];
    private int _readCount;
    private int _answering;

    public bool Disposed { get; private set; }

    /// <summary>The host said it has no more answers (the agent then ends the call, as the real one does).</summary>
    public bool Completed { get; private set; }
    public ChannelReader<(uint Id, byte[] Message)> Answers => _answers.Reader;

    public void Query(uint id, byte[] message, bool tcp = false) => _queries.Writer.TryWrite(new GuestDnsQuery(id, message, tcp));
    public void End() => _queries.Writer.TryComplete();

    /// <summary>The next read fails with <paramref name="error"/>, as when the call or the connection under it breaks.</summary>
    public void Fail(Exception error) => _queries.Writer.TryComplete(error);

    /// <summary>Completes once ReadAsync was called <paramref name="count"/> times: the forwarder has dealt with every query before the last call.</summary>
    public Task WhenRead(int count)
    {
        lock (_reads)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_readCount >= count)
                waiter.SetResult();
            else
                _reads.Add((count, waiter));
            return waiter.Task;
        }
    }

    public async ValueTask<GuestDnsQuery?> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (_reads)
        {
            _readCount++;
            foreach (var (count, waiter) in _reads.Where(r => r.Count <= _readCount).ToList())
            {
                waiter.SetResult();
                _reads.Remove((count, waiter));
            }
        }
        return await _queries.Reader.WaitToReadAsync(cancellationToken) && _queries.Reader.TryRead(out var query) ? query : null;
    }

    public async Task AnswerAsync(uint id, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _answering, 1) != 0)
            throw new InvalidOperationException("AnswerAsync called while another answer was being written");
        await Task.Yield();
        _answers.Writer.TryWrite((id, message.ToArray()));
        Volatile.Write(ref _answering, 0);
    }

    public Task CompleteAsync()
    {
        Completed = true;
        _queries.Writer.TryComplete();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _queries.Writer.TryComplete();
        _answers.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
