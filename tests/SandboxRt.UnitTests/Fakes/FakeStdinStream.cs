using SandboxRt.Runtime.Agent;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>A stdin stream of <see cref="FakeAgent"/>: writes and the closing call are recorded there.</summary>
internal sealed class FakeStdinStream(FakeAgent agent, string id, string execId, bool closeAtEnd) : IStdinStream
{
    private long _written;

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await agent.WriteStdin(id, execId, data);
        _written += data.Length;
    }

    public async Task<long> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (closeAtEnd)
            await agent.CloseStdin(id, execId);
        return _written;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
