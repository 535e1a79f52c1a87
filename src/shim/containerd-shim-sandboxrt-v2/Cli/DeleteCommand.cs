using Google.Protobuf;
using SandboxRt.Containerd.Protocol.Task;
using SandboxRt.Interop;
using SandboxRt.Runtime.Hypervisors.Qemu;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Daemon;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// `delete -bundle B`: containerd runs it when it lost a shim (killed, crashed, or unreachable after a
/// restart). It stops what the dead daemon recorded (VM, virtiofsd), removes the shared directory and
/// unmounts the root file systems, and prints a protobuf DeleteResponse: the container counts as killed.
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
        int pid = 0;
        if (record is not null)
        {
            pid = record.Hypervisor?.Pid ?? 0;
            if (record.Shim is { IsAlive: true } shim)
            {
                // containerd deletes through the binary only when it cannot reach the daemon: it is wedged
                ChildProcesses.Signal(shim.Pid, Signals.SIGKILL);
                await DetachedVm.WaitGoneAsync(shim, Grace);
            }
            var sandboxDirectory = record.SandboxDirectory ?? Path.Combine(directory, podId);
            await DetachedVm.StopAsync(record.Hypervisor, [record.Virtiofsd], sandboxDirectory, Grace);
            SharedDirectory.Open(sandboxDirectory).Remove();
            SocketDirectory.Remove(sandboxDirectory);
            foreach (var mounted in record.MountedBundles.Values)
                RootfsMounter.Unmount(mounted);
            RemoveEmpty(sandboxDirectory);
            ShimDaemon.RemoveDirectory(directory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        RootfsMounter.Unmount(bundle);
        var response = new DeleteResponse
        {
            Pid = (uint)pid,
            ExitStatus = InitRelay.VmDiedStatus,
            ExitedAt = TaskService.Stamp(DateTime.UtcNow),
        };
        response.WriteTo(stdout);
        return 0;
    }

    private static void RemoveEmpty(string directory)
    {
        try
        {
            foreach (var file in Directory.Exists(directory) ? Directory.GetFiles(directory) : [])
                File.Delete(file);
            if (Directory.Exists(directory))
                Directory.Delete(directory);
        }
        catch (IOException)
        {
        }
    }
}
