using SandboxRt.Interop;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Core;

/// <summary>
/// What a sandbox leaves on the host when the process that ran it is gone (a clean exit that did not get
/// to its clean-up, SIGKILL, an OOM kill), removed from its records alone: the host processes that
/// served it, the VM (through its driver, control socket first, SIGKILL after the grace), virtiofsd, any
/// process still in a cgroup the sandbox created (a VMM whose pid was never recorded), the pod network's
/// taps, the host cgroup, the shared directory's mounts, the socket directory and the
/// state directory (by descriptor, crossing no mount). `sandboxrt delete`, create's clean-up after a dead
/// relay and the shim's `delete` after a dead shim all go through here, with the configuration's grace.
/// </summary>
public static class SandboxRemains
{
    /// <summary>How long a killed relay gets to be gone before its cgroup is removed.</summary>
    private static readonly TimeSpan ServerGoneTimeout = TimeSpan.FromSeconds(2);

    /// <param name="servers">Host processes that served the sandbox (relays): killed first, so that none touches it during the clean-up.</param>
    public static async Task RemoveAsync(string stateDirectory, ProcessIdentity? hypervisor, ProcessIdentity? virtiofsd, TimeSpan grace, IReadOnlyList<ProcessIdentity?> servers)
    {
        KillServers(servers);
        await HypervisorFactory.StopDetachedAsync(hypervisor, [virtiofsd], stateDirectory, grace);
        // A VMM that was spawned but never recorded (its owner was killed in between) is known only by its
        // cgroup. Only then: a leaf another sandbox joined (the same cgroupsPath given twice) would hold
        // that sandbox's processes too, and a recorded VM was stopped by its identity above.
        if (hypervisor is null)
            HostCgroups.HostCgroup.KillLeftoversRecorded(stateDirectory);
        Network.PodNetwork.DetachRecorded(stateDirectory);
        await WaitServersGoneAsync(servers);
        HostCgroups.HostCgroup.RemoveRecorded(stateDirectory); // once the VM and the servers have left it
        SharedDirectory.RemoveFrom(stateDirectory);
        SocketDirectory.Remove(stateDirectory);
        PrivateFiles.RemoveTree(stateDirectory);
    }

    /// <summary>SIGKILLs the servers (relays) and waits, bounded, until they are gone: before a clean-up that must not race them.</summary>
    public static async Task StopServersAsync(IReadOnlyList<ProcessIdentity?> servers)
    {
        KillServers(servers);
        await WaitServersGoneAsync(servers);
    }

    private static void KillServers(IReadOnlyList<ProcessIdentity?> servers)
    {
        foreach (var server in servers)
            if (server is { IsAlive: true })
                ChildProcesses.Signal(server.Pid, 9);
    }

    private static async Task WaitServersGoneAsync(IReadOnlyList<ProcessIdentity?> servers)
    {
        foreach (var server in servers)
            if (server is not null)
                await DetachedProcess.WaitGoneAsync(server, ServerGoneTimeout);
    }
}
