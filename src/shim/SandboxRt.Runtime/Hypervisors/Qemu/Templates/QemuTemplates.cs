using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// VM templates (issue 17): a VM booted once to the point where its agent serves, saved, and restored
/// for every later sandbox of the same shape instead of booting a kernel and an agent again.
///
/// The template directory (qemu.template_directory, root's, 0700) holds one directory per key
/// (QemuTemplateKey: the command line of the template layout and the identity of QEMU, kernel and
/// initrd or root image). A template is built on first use, under a lock per key so that parallel sandboxes build it
/// once (the others wait, bounded), in a directory of its own that is renamed into place when complete:
/// a reader sees a whole template or none. A sandbox that cannot use one (the configuration: microvm,
/// vsock, another initrd; or a failure: building, restoring) boots cold, and VmStart says why.
///
/// A failed build is recorded (KEY.failed: the reason, at its time) before its lock is released, and for
/// <see cref="RetryFailedBuildAfter"/> the launches of that key boot cold at once, with a warning that
/// quotes it, instead of each paying the same failure again (a kernel_params that breaks the guest
/// costs boot_timeout_seconds per build): the sandboxes that waited on the failing build's lock too.
/// `sandboxrt template create` tries at once; a success or `template remove` forgets the failure.
///
/// What a clone shares with its template and the other clones, and what it must not: see
/// docs/security.md ("VM templates"). In short: RAM contents up to the agent's start (kernel, agent,
/// no sandbox data and no secret but the template's agent token, which the host replaces on a clone's
/// first call along with fresh entropy and the clock; vmgenid makes the guest kernel reseed).
/// </summary>
internal static class QemuTemplates
{
    /// <summary>How long after a failed build of a key its launches boot cold without trying that build again.</summary>
    public static readonly TimeSpan RetryFailedBuildAfter = TimeSpan.FromMinutes(10);

    /// <param name="retryFailedBuild">build even when a build of this key failed recently (`template create`)</param>
    public static async Task<(QemuTemplate? Template, string? Reason, bool Warn)> PrepareAsync(QemuHypervisor hypervisor, HypervisorConfig config,
        VmLaunchRequest request, QemuGuestRoot root, bool retryFailedBuild, CancellationToken cancellationToken)
    {
        if (config.Qemu.MachineType is not ("q35" or "pc"))
            return (null, $"qemu.machine_type {config.Qemu.MachineType} has no hot-plug for a clone's devices (templates need q35 or pc)", false);
        if (hypervisor.Capabilities.GuestChannel != "serial")
            return (null, $"the agent channel is {hypervisor.Capabilities.GuestChannel}: templates are made for the virtio-serial channel only", false);
        if (request.InitrdOverride is not null)
            return (null, "another initrd than the configuration's was asked for", false);
        var plan = new QemuLaunchPlan(request.Id, config, hypervisor.Capabilities.Accelerator, request.Vcpus, request.MemoryMib, root.Initrd, 0, 0, GuestChannelPlan.Serial(0), TscKhz: HostCpu.TscKhz())
        {
            RootImage = root.Image,
            MaxVcpus = request.MaxVcpus,
            MaxMemoryMib = request.MaxMemoryMib,
            AgentTokenFile = "agent-token",
            TemplateRamFile = "ram",
        };
        var (key, description) = QemuTemplateKey.Of(plan);
        var store = new QemuTemplateStore(config.Qemu.TemplateDirectory);
        await QemuTemplateBuilder.RemoveAbandonedBuildsAsync(store, heldKey: null); // a builder killed mid-build left its VM running
        if (store.Find(key) is { } ready)
            return (ready, null, false);
        store.RemoveExpiredFailures(RetryFailedBuildAfter);
        if (!retryFailedBuild && store.RecentFailure(key, RetryFailedBuildAfter) is { } failed)
            return (null, Describe(failed, key, store), true);
        try
        {
            store.Create();
            using var building = FileLock.Acquire(store.LockFile(key), TimeSpan.FromSeconds(config.BootTimeoutSeconds + 30));
            if (store.Find(key) is { } built)
                return (built, null, false); // another process built it while this one waited
            if (!retryFailedBuild && store.RecentFailure(key, RetryFailedBuildAfter) is { } failedMeanwhile)
                return (null, Describe(failedMeanwhile, key, store), true); // the build this one waited for failed
            try
            {
                var template = await QemuTemplateBuilder.BuildAsync(hypervisor, config, request, root, store, key, description, cancellationToken);
                store.ForgetFailure(key);
                return (template, null, false);
            }
            catch (Exception e)
            {
                if (IsBuildFailure(e, cancellationToken))
                    store.RecordFailure(key, e.Message); // before the lock goes: a waiter reads it
                File.Delete(store.LockFile(key)); // no template for it: its lock file goes too (a waiter locks a new one: FileLock)
                throw;
            }
        }
        catch (Exception e) when (IsBuildFailure(e, cancellationToken))
        {
            return (null, $"building template {key} in {store.Directory} failed: {e.Message}", true);
        }
    }

    /// <summary>What fails a build, as opposed to this launch being cancelled (or a bug, which propagates).</summary>
    private static bool IsBuildFailure(Exception e, CancellationToken cancellationToken) =>
        e is HypervisorException or IOException or UnauthorizedAccessException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Describe(TemplateBuildFailure failed, string key, QemuTemplateStore store) =>
        $"building template {key} in {store.Directory} failed {(long)failed.Age.TotalSeconds} s ago ({failed.Reason}); it is not tried again for " +
        $"{(long)RetryFailedBuildAfter.TotalSeconds} s after a failure (`sandboxrt template create` tries now)";
}
