using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// The mount points a read-only root file system must already have. The host gives a read-only rootfs
/// its read-only attribute before the guest ever sees it (SharedDirectory), so the agent cannot create a
/// missing mount destination in it (a CRI pause image has no /etc/resolv.conf, no /proc). runc creates
/// them in the rootfs before it makes the root read-only; here the host does the same, before the
/// rootfs is shared: each destination is resolved inside the rootfs as the container will see it
/// (RESOLVE_IN_ROOT), and only what is missing is made, a directory or an empty file as the mount needs.
/// </summary>
public static class RootfsMountPoints
{
    /// <summary>Makes the missing mount points; returns the indexes in mounts of those it made.</summary>
    public static IReadOnlyList<int> Create(Spec spec, string rootfs, Func<Mount, string?> hostSource)
    {
        var mounts = spec.Mounts ?? [];
        var made = new List<int>();
        if (mounts.Count == 0)
            return made;
        using var root = PinnedDirectory.Open(rootfs);
        for (int i = 0; i < mounts.Count; i++)
        {
            var destination = Normalize(mounts[i].Destination);
            // below an earlier mount (/dev/pts under the /dev tmpfs): the agent makes it in that mount
            if (mounts.Take(i).Any(m => Normalize(m.Destination) is var outer && outer != destination && destination.StartsWith(outer == "/" ? "/" : outer + "/", StringComparison.Ordinal)))
                continue;
            bool directory = !(mounts[i].IsBind && hostSource(mounts[i]) is { } source && !Directory.Exists(source));
            try
            {
                if (root.CreatePathInRoot(destination, directory))
                    made.Add(i);
            }
            catch (SyscallException e)
            {
                throw new IOException($"mounts[{i}].destination: cannot create the mount point {destination} in the read-only root file system {rootfs}: {e.Message}", e);
            }
        }
        return made;
    }

    private static string Normalize(string destination) => "/" + string.Join('/', destination.Split('/', StringSplitOptions.RemoveEmptyEntries));
}
