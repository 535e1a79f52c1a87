using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// What a VM cache entry does to a sandbox before and at its claim, for both caches (the shim's and the
/// CLI's): it waits at the lowest priority, it builds one container first, and a claim gives it back the
/// priority a sandbox started for its pod has.
/// </summary>
public static class WarmSandbox
{
    /// <summary>The nice value an entry and its VM wait at (the lowest priority).</summary>
    public const int WaitingNice = 19;

    private const string WarmUpId = "sandboxrt-vm-cache-warm-up";

    /// <summary>
    /// Whether a VM of <paramref name="config"/> can take a pod's NICs after its start: only q35 clones of
    /// a QEMU VM template keep free root ports to hot-plug them into. A cached VM that cannot serves only
    /// sandboxes with no network to mirror.
    /// </summary>
    public static bool TakesNics(HypervisorConfig config) =>
        config.Hypervisor == "qemu" && config.Qemu.VmTemplate && config.Qemu.MachineType == "q35";

    /// <summary>
    /// The host cgroup entries wait in, each in a child of its own. It stays once made, as Docker's
    /// /docker does: made before any entry's (<see cref="WaitingCgroup"/>), it is never one an entry's
    /// cgroup records as its own, so no entry's end removes it from under another.
    /// </summary>
    public const string CgroupParent = "/sandboxrt-vm-cache";

    /// <summary>The cgroup (linux.cgroupsPath form) entry <paramref name="name"/> waits in, its parent made first.</summary>
    public static string WaitingCgroup(string name)
    {
        HostCgroups.HostCgroup.Create(CgroupParent);
        return CgroupParent + "/" + name;
    }

    /// <summary>The configuration an entry starts its sandbox with: QEMU at <see cref="WaitingNice"/> too.</summary>
    public static HypervisorConfig Waiting(HypervisorConfig config) => config with { Qemu = config.Qemu with { TcgNice = WaitingNice } };

    /// <summary>The listening claim socket of a ready entry (its presence at <paramref name="path"/> means "ready").</summary>
    public static Socket ListenForClaims(string path) =>
        new(new SafeSocketHandle(UnixListener.Listen(path, backlog: 4).Release(), ownsHandle: true));

    /// <summary>What ends an unclaimed entry's wait: <paramref name="stopping"/>, or vm_cache_idle_seconds (0: none).</summary>
    public static CancellationTokenSource IdleLimit(HypervisorConfig config, CancellationToken stopping)
    {
        var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (config.VmCacheIdleSeconds > 0)
            idle.CancelAfter(TimeSpan.FromSeconds(config.VmCacheIdleSeconds));
        return idle;
    }

    /// <summary>
    /// The next claimant's connection; null once the entry is to end unclaimed: <paramref name="idle"/>
    /// ran out or was cancelled, or the VM stopped (which cancels it).
    /// </summary>
    public static async Task<Socket?> NextClaimAsync(Socket claims, Sandbox sandbox, CancellationTokenSource idle)
    {
        var accept = claims.AcceptAsync(idle.Token).AsTask();
        if (await Task.WhenAny(accept, sandbox.Vm.Exited) != accept)
            idle.Cancel();
        try
        {
            return await accept;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Why an entry ends unclaimed when no signal ended it: its VM stopped, or nothing came in time.</summary>
    public static async Task<string> UnclaimedReasonAsync(Sandbox sandbox, HypervisorConfig config, string waitedFor) =>
        sandbox.Vm.Exited.IsCompleted ? $"the VM stopped ({await sandbox.Vm.Exited})"
            : $"no {waitedFor} came within vm_cache_idle_seconds ({config.VmCacheIdleSeconds} s)";

    /// <summary>
    /// Builds one container the way a pod's first one is built (the shared directory, runc's default spec,
    /// the init, a start whose exec fails: its program is the root directory, which passes create's check
    /// that it can be executed, as root may search a directory, and which execve refuses) and removes it, so that what the
    /// pod's container runs in the guest has run once. <paramref name="scratch"/> holds its bundle meanwhile.
    /// A VM that takes NICs (<see cref="TakesNics"/>) first plugs, configures and unplugs one (<see cref="WarmUpNicAsync"/>).
    /// </summary>
    public static async Task WarmUpAsync(Sandbox sandbox, HypervisorConfig config, string scratch, ILogger log, CancellationToken cancellationToken)
    {
        if (TakesNics(config) && sandbox.Vm is IVmNicHotplug nics)
            await WarmUpNicAsync(sandbox.Agent, nics, log, cancellationToken);
        var bundle = Path.Combine(scratch, "warm-up");
        PrivateFiles.CreateDirectory(Path.Combine(bundle, "rootfs"));
        var spec = SandboxRt.Oci.Spec.DefaultSpec.Create();
        spec.Process!.Terminal = false;
        spec.Process.Args = ["/"]; // passes create's program check; execve fails at start (EACCES)
        SpecValidator.Validate(spec, Path.Combine(bundle, "rootfs"));
        var container = await GuestContainer.CreateAsync(sandbox, new ContainerLaunch(WarmUpId, spec, bundle) { Stdin = false }, cancellationToken);
        try
        {
            await container.StartAsync(cancellationToken);
        }
        catch (AgentException e)
        {
            log.LogDebug("VM cache: the warm-up container's start failed as it should: {Error}", e.Message);
        }
        finally
        {
            await container.RemoveAsync(log);
        }
        PrivateFiles.RemoveTree(bundle);
    }

    /// <summary>
    /// A NIC plugged, configured by the agent as a pod's is (a name, an MTU, an address, a route through a
    /// gateway), and unplugged, which takes its address and route with it: the guest's code for all of it
    /// is then translated before a claim's first real NIC needs it. Only link-local addresses, and no
    /// container is in the VM meanwhile.
    /// </summary>
    private static async Task WarmUpNicAsync(IAgent agent, IVmNicHotplug nics, ILogger log, CancellationToken cancellationToken)
    {
        byte[] mac = [0x02, 0x53, 0x52, 0x54, 0x00, 0x01]; // locally administered, never a pod's (they are copied from its veths)
        const string name = "srtwarmup0";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await nics.WithScratchNicAsync(mac, async () =>
        {
            await agent.UpdateInterfaceAsync(new Network.PodInterface(name, mac, 1500, [(System.Net.IPAddress.Parse("169.254.253.1"), 24)]), cancellationToken);
            await agent.UpdateRoutesAsync([new Network.PodRoute(name, System.Net.IPAddress.Parse("169.254.252.0"), 24, System.Net.IPAddress.Parse("169.254.253.2"), null, 0)],
                cancellationToken);
        }, cancellationToken);
        log.LogInformation("VM cache: a warm-up NIC plugged, configured and unplugged in {Ms} ms", (int)watch.ElapsedMilliseconds);
    }

    /// <summary>
    /// A claimed entry is a pod's: the entry's process and virtiofsd go back to nice 0 and QEMU to what a
    /// pod's QEMU gets (qemu.tcg_nice under TCG, else 0), every thread. A failure is a warning: the pod
    /// runs, slower.
    /// </summary>
    public static void Prioritise(Sandbox sandbox, HypervisorConfig config, ILogger log)
    {
        try
        {
            ChildProcesses.SetNiceAllThreads(Environment.ProcessId, 0);
            ChildProcesses.SetNiceAllThreads(sandbox.Vm.Pid, AcceleratorProbe.Choose(config.Accelerator).IsTcg ? config.Qemu.TcgNice : 0);
            foreach (var helper in sandbox.Vm.HelperPids)
                ChildProcesses.SetNiceAllThreads(helper, 0);
        }
        catch (SyscallException e)
        {
            log.LogWarning("VM cache entry: the claimed VM keeps the cache's low priority: {Error}", e.Message);
        }
    }
}
