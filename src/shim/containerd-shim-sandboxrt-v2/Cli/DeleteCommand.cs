using Google.Protobuf;
using SandboxRt.Containerd.Protocol.Task;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Daemon;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// `delete -bundle B`: containerd runs it after a task's connection to the shim closed (after every
/// task delete, and when a shim was killed, crashed, or is unreachable after a restart). When the pod's
/// daemon is dead it removes what the daemon recorded (SandboxRemains: VM, virtiofsd, taps, cgroup, the
/// shared directory, with the grace the pod's configuration gave) and unmounts the root file systems. It
/// prints a protobuf DeleteResponse: the container counts as killed.
/// </summary>
internal static class DeleteCommand
{
    public static async Task<int> RunAsync(ShimFlags flags, Stream stdout)
    {
        if (flags.Id.Length == 0 || flags.Namespace.Length == 0 || flags.Address.Length == 0)
            throw new ArgumentException("delete needs -id, -namespace and -address (it is run by containerd)");
        var bundle = flags.Bundle.Length > 0 ? flags.Bundle : Environment.CurrentDirectory;
        var podId = PodIdentity.Of(flags.Id, bundle);
        var directory = ShimPaths.Directory(flags.Address, flags.Namespace, podId);
        var record = new PodRecordStore(ShimPaths.Record(directory)).Load();
        int pid = record?.Hypervisor?.Pid ?? 0;
        // containerd runs `delete` whenever a task's connection closes, also after a clean Delete and
        // for each container of a pod whose shim still serves the others: a live shim is left alone.
        if (record?.Shim is { IsAlive: true } shim)
        {
            if (!shim.IsExiting)
            {
                WriteResponse(stdout, pid);
                return 0;
            }
            // A killed shim closes its socket (and containerd runs us) while the kernel still tears it
            // down: it is not a zombie yet, but it is going. Clean up after it once it is gone.
            await DetachedProcess.WaitGoneAsync(shim, TimeSpan.FromSeconds(10));
        }
        if (record is not null)
        {
            var sandboxDirectory = record.SandboxDirectory ?? Path.Combine(directory, podId);
            try
            {
                await SandboxRemains.RemoveAsync(sandboxDirectory, record.Hypervisor, record.Virtiofsd, TimeSpan.FromSeconds(record.ShutdownGraceSeconds), []);
                if (Cache.VmCacheEntryPaths.Of(Path.GetDirectoryName(sandboxDirectory)!) is { } entry)
                    PrivateFiles.RemoveTree(entry.Directory); // the pod's VM came from the cache: its entry's directory
            }
            catch (IOException e)
            {
                // best effort after a crash (a root file system still mounted there stops the removal): the
                // next `delete`, or the operator, sees what is left; containerd logs what we print
                Console.Error.WriteLine($"delete: removing the sandbox {sandboxDirectory}: {e.Message}");
            }
            foreach (var mounted in record.MountedBundles.Values)
                RootfsMounter.Unmount(mounted);
            try
            {
                PrivateFiles.RemoveTree(directory);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"delete: removing the shim directory {directory}: {e.Message}");
            }
        }
        RootfsMounter.Unmount(bundle);
        WriteResponse(stdout, pid);
        return 0;
    }

    private static void WriteResponse(Stream stdout, int pid)
    {
        var response = new DeleteResponse
        {
            Pid = (uint)pid,
            ExitStatus = ProcessExit.VmDiedStatus,
            ExitedAt = TaskService.Stamp(DateTime.UtcNow),
        };
        response.WriteTo(stdout);
    }
}
