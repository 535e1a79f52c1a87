using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// A Cloud Hypervisor VM started by another process, stopped from its <see cref="VmmRecord"/>: the API
/// socket the record names (vm.shutdown, vmm.shutdown), then SIGKILL after the grace period through a
/// pidfd (never a pid that may be reused), then its helpers and its files.
/// </summary>
internal static class ClhDetachedVm
{
    private static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(2);

    public static async Task StopAsync(VmmRecord record, ProcessIdentity? hypervisor, IEnumerable<ProcessIdentity?> helpers, string stateDirectory, TimeSpan grace)
    {
        var files = new ClhStateFiles(stateDirectory);
        if (hypervisor is { IsAlive: true })
        {
            await ClhShutdown.RequestAsync(record.ControlSocket ?? files.ApiSocket, ApiTimeout);
            await DetachedProcess.WaitGoneAsync(hypervisor, grace);
        }
        foreach (var helper in helpers)
        {
            if (helper is not null && PinnedProcessTree.Pin(helper) is { } tree)
                using (tree)
                    await tree.StopAsync(TimeSpan.FromSeconds(2));
        }
        files.RemoveAll();
        VmmRecord.Remove(stateDirectory);
    }
}
