using SandboxRt.Runtime.Channels;

namespace SandboxRt.UnitTests.Agent;

/// <summary>A connection to the agent of a VM whose hypervisor has exited fails at once, also one already waiting.</summary>
[Trait("Tier", "unit")]
public sealed class VmBoundConnectorTests
{
    /// <summary>A connector whose agent never answers: it waits until cancelled, and says when it was.</summary>
    private sealed class NeverAnswers : IAgentConnector
    {
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string Name => "never";

        public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
        {
            var never = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var _ = cancellationToken.Register(() =>
            {
                Cancelled.TrySetResult();
                never.TrySetCanceled(cancellationToken);
            });
            return await never.Task;
        }
    }

    [Fact]
    public async Task A_waiting_attempt_fails_with_vm_gone_when_the_hypervisor_exits_and_the_inner_attempt_is_cancelled()
    {
        var exited = new TaskCompletionSource<string>();
        var inner = new NeverAnswers();
        var connecting = new VmBoundConnector(inner, "pod1", exited.Task).ConnectAsync(TestContext.Current.CancellationToken).AsTask();
        Assert.False(connecting.IsCompleted);

        exited.SetResult("exited 1");
        var gone = await Assert.ThrowsAsync<VmGoneException>(() => connecting);
        Assert.Equal("sandbox pod1: its VM is gone (exited 1); the agent cannot be reached", gone.Message);
        await inner.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task After_the_hypervisor_exited_no_attempt_is_made()
    {
        var inner = new NeverAnswers();
        var connector = new VmBoundConnector(inner, "pod1", Task.FromResult("killed by signal 9"));
        await Assert.ThrowsAsync<VmGoneException>(() => connector.ConnectWhileBootingAsync(TestContext.Current.CancellationToken).AsTask());
        Assert.False(inner.Cancelled.Task.IsCompleted, "the inner connector was never called");
    }

    [Fact]
    public async Task While_the_vm_runs_the_inner_connection_is_returned()
    {
        var stream = new MemoryStream();
        var connector = new VmBoundConnector(new Answers(stream), "pod1", new TaskCompletionSource<string>().Task);
        Assert.Same(stream, await connector.ConnectAsync(TestContext.Current.CancellationToken));
    }

    private sealed class Answers(Stream stream) : IAgentConnector
    {
        public string Name => "answers";
        public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => ValueTask.FromResult(stream);
    }
}
