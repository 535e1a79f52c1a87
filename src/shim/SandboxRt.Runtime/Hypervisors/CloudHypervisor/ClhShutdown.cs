namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>The clean stop through the API: vm.shutdown (the guest is gone), then vmm.shutdown (the process exits).</summary>
internal static class ClhShutdown
{
    /// <summary>Asks; a VMM that does not answer is left to the caller's grace period and SIGKILL.</summary>
    public static async Task RequestAsync(string apiSocket, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var api = new ClhApiClient(apiSocket, timeout);
        try
        {
            await api.PutAsync("vm.shutdown", cancellationToken: cancellationToken);
        }
        catch (HypervisorException)
        {
            // not booted, already shut down, or wedged: vmm.shutdown still ends the process
        }
        try
        {
            await api.PutAsync("vmm.shutdown", cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is HypervisorException or OperationCanceledException)
        {
            // wedged or already going: the grace period and SIGKILL take over
        }
    }
}
