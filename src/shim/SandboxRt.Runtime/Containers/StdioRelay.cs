using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// Copies a container process's stdio between the host's streams and the agent: stdout and stderr as
/// they arrive, stdin from a dedicated thread (host stdin reads block, and may never end while the
/// container runs) into one stdin stream to the agent, closing the process's stdin at end of input. A
/// write waits while the process is not reading, so the thread stops reading the host's stdin: the
/// writer on the host side feels the container's pipe.
///
/// <paramref name="started"/>: the exec's ExecAsync when the output calls go out together with it
/// instead of after its answer (a pipelined exec, one round trip to the guest fewer): they are marked so
/// that the agent waits for the exec to start. An agent from before that mark answers NotFound when a
/// call overtook its exec; such a call is made again, unmarked, once the exec has started.
/// </summary>
public sealed class StdioRelay(IAgentStdio agent, string containerId, string execId, Task? started = null)
{
    private bool Pipelined => started is not null;

    public Task CopyOutputAsync(Stream destination, bool stderr, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        bool any = false;
        try
        {
            await foreach (var chunk in agent.ReadOutputAsync(containerId, execId, stderr, Pipelined, cancellationToken))
            {
                any = true;
                await destination.WriteAsync(chunk, cancellationToken);
                await destination.FlushAsync(cancellationToken);
            }
            return;
        }
        catch (AgentException e) when (Overtook(e) && !any)
        {
            await started!;
        }
        await foreach (var chunk in agent.ReadOutputAsync(containerId, execId, stderr, awaitStart: false, cancellationToken))
        {
            await destination.WriteAsync(chunk, cancellationToken);
            await destination.FlushAsync(cancellationToken);
        }
    }, cancellationToken);

    /// <summary>
    /// Starts forwarding <paramref name="source"/>; the returned task ends at end of input or on error.
    /// Never pipelined: a pipelined exec starts this once the exec has started, so that an exec that fails
    /// reads nothing from the host's stdin.
    /// </summary>
    public Task CopyInputAsync(Stream source, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            var stdin = agent.OpenStdin(containerId, execId, closeAtEnd: true, cancellationToken: cancellationToken);
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    int n = source.Read(buffer, 0, buffer.Length);
                    if (n == 0)
                        break;
                    stdin.WriteAsync(buffer.AsMemory(0, n), cancellationToken).GetAwaiter().GetResult();
                }
                cancellationToken.ThrowIfCancellationRequested();
                stdin.CompleteAsync(cancellationToken).GetAwaiter().GetResult();
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
            finally
            {
                stdin.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        })
        { IsBackground = true, Name = "stdin-relay" };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Waits (bounded by <paramref name="timeout"/>) for the output copies to end after the process exited;
    /// past it they are cancelled through <paramref name="stop"/>. Their failures are not the caller's answer.
    /// </summary>
    public static async Task DrainAsync(Task stdout, Task stderr, TimeSpan timeout, CancellationTokenSource stop)
    {
        var output = Task.WhenAll(stdout, stderr);
        if (await Task.WhenAny(output, Task.Delay(timeout)) != output)
            stop.Cancel();
        try
        {
            await output;
        }
        catch (Exception e) when (e is OperationCanceledException or AgentException or IOException)
        {
        }
    }

    /// <summary>
    /// A pipelined call the agent answered with NotFound: the exec failed (waiting for
    /// <paramref name="started"/> then throws its error) or an older agent did not wait for it.
    /// </summary>
    private bool Overtook(AgentException e) => Pipelined && e.Kind == AgentErrorKind.NotFound;
}
