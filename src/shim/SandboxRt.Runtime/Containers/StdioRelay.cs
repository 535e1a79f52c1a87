using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// Copies a container process's stdio between the host's streams and the agent: stdout and stderr as
/// they arrive, stdin from a dedicated thread (host stdin reads block, and may never end while the
/// container runs) into one stdin stream to the agent, closing the process's stdin at end of input. A
/// write waits while the process is not reading, so the thread stops reading the host's stdin: the
/// writer on the host side feels the container's pipe.
/// </summary>
public sealed class StdioRelay(IAgentStdio agent, string containerId, string execId)
{
    public Task CopyOutputAsync(Stream destination, bool stderr, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        await foreach (var chunk in agent.ReadOutputAsync(containerId, execId, stderr, cancellationToken))
        {
            await destination.WriteAsync(chunk, cancellationToken);
            await destination.FlushAsync(cancellationToken);
        }
    }, cancellationToken);

    /// <summary>Starts forwarding <paramref name="source"/>; the returned task ends at end of input or on error.</summary>
    public Task CopyInputAsync(Stream source, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            var stdin = agent.OpenStdin(containerId, execId, closeAtEnd: true, cancellationToken);
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
}
