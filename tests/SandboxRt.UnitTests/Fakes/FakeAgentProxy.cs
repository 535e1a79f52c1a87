namespace SandboxRt.UnitTests.Fakes;

/// <summary>The agent proxy a <see cref="FakeHostSandbox"/> "serves": stopping it is recorded as "stop".</summary>
internal sealed class FakeAgentProxy(List<string> calls) : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        lock (calls)
            calls.Add("stop");
        return ValueTask.CompletedTask;
    }
}
