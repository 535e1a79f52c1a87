using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc create: validate the bundle, record the container, start its relay (which boots the VM and
/// creates the container), and write the relay's pid to --pid-file once it reports ready. A spec whose
/// network namespace is a running container's of this --root (docker run --network container:X) gets a
/// relay that creates the container in X's VM instead (Network/NetworkJoin.cs).
/// </summary>
public static class CreateOperation
{
    public static async Task RunAsync(LifecycleContext context, string id, string bundle, string? pidFile, string? consoleSocket)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        ContainerId.Validate(id);
        bundle = Path.GetFullPath(bundle);
        var spec = SpecLoader.LoadBundle(bundle);
        var rootfs = SpecLoader.RootfsPath(spec, bundle);
        SpecValidator.Validate(spec, rootfs);
        // the network namespace of a running container of this --root: this one runs in that container's VM
        var join = Network.NetworkJoin.Find(context.Store, spec, exceptId: id);
        // its pid, ipc or uts namespace can then be a container's of that VM (docker run --pid container:X)
        var shared = Network.NamespaceShare.Find(context.Store, spec, join?.SandboxId, exceptId: id);
        BundleSpecRewriter.CheckHostOnlyFields(spec, networkJoined: join is not null, shared: shared.Keys.ToList());
        if (spec.Process!.Terminal && consoleSocket is null)
            throw new ArgumentException("process.terminal is set: --console-socket is required (runc: cannot allocate tty if runc will detach without setting console socket)");
        if (!spec.Process.Terminal && consoleSocket is not null)
            throw new ArgumentException("--console-socket was given but process.terminal is not set (runc: cannot use console socket if runc will not detach or allocate tty)");
        _ = context.Config; // a broken configuration fails here, before anything exists

        var store = context.Store;
        using var lockFile = store.Lock(id);
        if (store.Exists(id))
            throw new InvalidOperationException($"container with id {id} already exists");
        store.Save(new ContainerRecord { Id = id, Bundle = bundle, Rootfs = rootfs, Annotations = spec.Annotations, Hooks = RecordedHooks.Of(spec.Hooks), Status = ContainerStatus.Creating });

        var arguments = new List<string>(context.GlobalArguments) { "relay", "--id", id, "--bundle", bundle };
        if (consoleSocket is not null)
            arguments.AddRange(["--console-socket", Path.GetFullPath(consoleSocket)]);
        bool newNetwork = BundleSpecRewriter.WantsNewNetworkNamespace(spec);
        if (newNetwork)
            arguments.Add("--own-network");
        if (join is { } joined)
        {
            context.Log.LogDebug("create {Id}: {Field} names the network namespace of container {Sandbox}: created in its VM", id, joined.Field, joined.SandboxId);
            arguments.AddRange(["--join", joined.SandboxId]);
        }
        arguments.Add("init");
        RelayReport report;
        try
        {
            report = RelayLauncher.Start(arguments, newNetwork, Path.Combine(store.Directory(id), "relay.log"), inheritStdio: consoleSocket is null, display: spec.Process.Args!);
        }
        catch
        {
            RemoveState(context, store, id);
            throw;
        }
        if (!report.Ok)
        {
            RemoveState(context, store, id);
            Monitoring.MonitorJournal.Error("create");
            throw new InvalidOperationException(report.Error ?? "create failed");
        }
        Monitoring.MonitorJournal.Latency(Monitoring.JournalKind.Create, started.Elapsed);
        // containerd's runc shim and Docker read the container's stats from the cgroup of the pid in
        // --pid-file, and watch its memory cgroup for OOM kills: put the relay beside its VM in the pod's
        // host cgroup, with a memory cgroup of its own where a guest OOM kill is reported (HostOomReport).
        HostCgroups.HostCgroup.JoinRelayRecorded(VmCache.CliVmCache.SandboxDirectory(store, store.Load(id)), report.Pid);
        if (pidFile is not null)
            PidFile.Write(pidFile, report.Pid);
        await TopUpAsync(context);
    }

    /// <summary>
    /// Tops the VM cache up after a create (vm_cache_number): a failure is a warning, never a failed
    /// create, since the container exists.
    /// </summary>
    private static async Task TopUpAsync(LifecycleContext context)
    {
        try
        {
            await VmCache.CliVmCache.TopUpAsync(context.Store, context.Config, context.GlobalArguments);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or Interop.SyscallException or TimeoutException)
        {
            context.Log.LogWarning("VM cache: topping up failed: {Error}", e.Message);
        }
    }

    /// <summary>
    /// A relay that reported failure has cleaned up after itself; one that died (SIGKILL, OOM) has not:
    /// what its record names (the VM it was booting, virtiofsd, the cgroup) goes the way delete removes it.
    /// </summary>
    private static void RemoveState(LifecycleContext context, StateStore store, string id)
    {
        var directory = store.Directory(id);
        if (store.Exists(id))
            DeleteOperation.RemoveFromHostAsync(context, store.Load(id), directory).GetAwaiter().GetResult();
        Storage.SharedDirectory.RemoveFrom(directory);
        Storage.PrivateFiles.RemoveTree(directory);
        store.ForgetLock(id); // a failed create leaves nothing under --root, its lock file included
    }
}
