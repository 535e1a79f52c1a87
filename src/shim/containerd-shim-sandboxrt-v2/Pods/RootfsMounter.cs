using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// Mounts the root file system containerd's snapshotter prepared (an overlay, or a bind of a directory)
/// at the bundle's rootfs directory, as the runc shim does before it calls runc; from there it is bound
/// into the sandbox's shared directory like any bundle's rootfs.
/// </summary>
internal static class RootfsMounter
{
    public static string RootfsPath(string bundle) => Path.Combine(bundle, "rootfs");

    /// <summary>Mounts each layer at bundle/rootfs; on a failure unmounts what it mounted and throws naming the mount.</summary>
    public static void Mount(string bundle, IReadOnlyList<RootfsMount> mounts)
    {
        var target = RootfsPath(bundle);
        Directory.CreateDirectory(target);
        int done = 0;
        try
        {
            foreach (var m in mounts)
            {
                var options = MountOptions.Parse(m.Options);
                var flags = options.Flags;
                FileSystem.Mount(m.Source, target, m.Type == "bind" ? null : m.Type, flags, options.Data.Length > 0 ? options.Data : null);
                if ((flags & MountFlags.Bind) != 0 && options.RemountFlags != 0)
                    FileSystem.Mount(null, target, null, MountFlags.Remount | MountFlags.Bind | options.RemountFlags);
                done++;
            }
        }
        catch
        {
            for (int i = 0; i < done; i++)
                FileSystem.TryUnmount(target, detach: true);
            throw;
        }
    }

    /// <summary>Unmounts everything at bundle/rootfs (stacked mounts one by one); safe when nothing is mounted.</summary>
    public static void Unmount(string bundle)
    {
        var target = RootfsPath(bundle);
        for (int i = 0; i < 16 && FileSystem.TryUnmount(target, detach: true); i++)
        {
        }
    }
}
