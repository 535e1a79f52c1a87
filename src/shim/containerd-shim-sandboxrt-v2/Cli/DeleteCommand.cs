using Google.Protobuf;
using SandboxRt.Containerd.Protocol.Task;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Daemon;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// `delete -bundle B`: containerd runs it after a task's connection to the shim closed (after every
/// task delete, and when a shim was killed, crashed, or is unreachable after a restart). When the pod's
/// daemon is dead it stops what the daemon recorded (VM, virtiofsd), removes the shared directory and
/// unmounts the root file systems. It prints a protobuf DeleteResponse: the container counts as killed.
/// </summary>
internal static class DeleteCommand
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

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
        if (record?.Shim is { IsAlive: true })
        {
            WriteResponse(stdout, pid);
            return 0;
        }
        if (record is not null)
        {
            var sandboxDirectory = record.SandboxDirectory ?? Path.Combine(directory, podId);
            await HypervisorFactory.StopDetachedAsync(record.Hypervisor, [record.Virtiofsd], sandboxDirectory, Grace);
            PodNetwork.DetachRecorded(sandboxDirectory);
            SandboxRt.Runtime.HostCgroups.HostCgroup.RemoveRecorded(sandboxDirectory);
            SharedDirectory.RemoveFrom(sandboxDirectory);
            SocketDirectory.Remove(sandboxDirectory);
            foreach (var mounted in record.MountedBundles.Values)
                RootfsMounter.Unmount(mounted);
            RemoveSandboxDirectory(sandboxDirectory);
            ShimDaemon.RemoveDirectory(directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
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
            ExitStatus = InitRelay.VmDiedStatus,
            ExitedAt = TaskService.Stamp(DateTime.UtcNow),
        };
        response.WriteTo(stdout);
    }

    /// <summary>By descriptor, crossing no mount: a root file system still mounted there stops it.</summary>
    private static void RemoveSandboxDirectory(string directory)
    {
        try
        {
            PrivateFiles.RemoveTree(directory);
        }
        catch (IOException)
        {
            // best effort after a crash: what is left is reported by the next `delete` or by the operator
        }
    }
}
