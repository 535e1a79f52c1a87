namespace SandboxRt.Runtime.Channels;

/// <summary>
/// The agent's channel in a VM whose hypervisor this process started: once that process has exited,
/// nothing can answer, so a connection attempt fails at once with <see cref="VmGoneException"/>, also one
/// already waiting, instead of retrying until the caller's deadline (a call into a dead VM used to wait
/// for the agent client's whole 60 s connect window).
/// </summary>
public sealed class VmBoundConnector(IAgentConnector inner, string sandboxId, Task<string> vmExited) : IAgentConnector
{
    public string Name => inner.Name;

    public ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken) => UnlessGoneAsync(inner.ConnectAsync, cancellationToken);

    public ValueTask<Stream> ConnectWhileBootingAsync(CancellationToken cancellationToken) => UnlessGoneAsync(inner.ConnectWhileBootingAsync, cancellationToken);

    private async ValueTask<Stream> UnlessGoneAsync(Func<CancellationToken, ValueTask<Stream>> connect, CancellationToken cancellationToken)
    {
        if (vmExited.IsCompleted)
            throw new VmGoneException(sandboxId, await vmExited);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connecting = connect(attempt.Token).AsTask();
        if (await Task.WhenAny(connecting, vmExited) == connecting)
            return await connecting;
        attempt.Cancel();
        // whatever the abandoned attempt ends with is not ours to report; a stream it still got is closed
        _ = connecting.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully)
                t.Result.Dispose();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        throw new VmGoneException(sandboxId, await vmExited);
    }
}
