using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// Waits until a freshly started cloud-hypervisor answers vmm.ping on its API socket: the socket appears
/// some time after exec. Gives up when the process exits (its log says why) or after the API timeout.
/// </summary>
internal static class ClhApiReady
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static async Task WaitAsync(ClhApiClient api, ChildProcess process, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        HypervisorException? last = null;
        while (true)
        {
            if (process.HasExited)
                throw new HypervisorException($"cloud-hypervisor (pid {process.Pid}) {await process.Exited} before its API socket {api.SocketPath} answered" +
                                              (last is null ? "" : $" (last error: {last.Message})"));
            if (File.Exists(api.SocketPath) || Path.Exists(api.SocketPath))
            {
                try
                {
                    await api.GetAsync("vmm.ping", deadline.Token);
                    return;
                }
                catch (HypervisorException e)
                {
                    last = e;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                }
            }
            await Task.WhenAny(process.Exited, Task.Delay(Interval, deadline.Token));
            if (deadline.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new HypervisorException($"cloud-hypervisor (pid {process.Pid}): its API socket {api.SocketPath} did not answer vmm.ping within {timeout.TotalSeconds:F0} s" +
                                              (last is null ? "" : $" (last error: {last.Message})"));
            }
        }
    }
}
