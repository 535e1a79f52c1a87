using SandboxRt.Interop;

namespace SandboxRt.Jailer;

/// <summary>
/// The jail's file system: a small tmpfs holding only symlinks, read-only binds of what the program
/// needs, and device nodes, made read-only once built, then pivot_root'ed into. Runs in a mount
/// namespace of the jailer's own whose mounts are slaves of the host's, so nothing here reaches the host.
/// </summary>
internal static class JailRoot
{
    private const string TmpfsOptions = "size=1m,nr_inodes=4096,mode=0755";

    /// <summary>Device numbers are read from the host's nodes before the jail exists (they vanish with pivot_root).</summary>
    public static Dictionary<string, DeviceNode> ReadDevices(JailerOptions options) =>
        options.Devices.Concat(options.PrivateDevices).Distinct().ToDictionary(p => p, DeviceNode.Of);

    public static void Build(JailerOptions options, Dictionary<string, DeviceNode> devices)
    {
        var root = options.Root!;
        // nosuid: nothing in the jail can gain privileges through a set-id bit. Not nodev: the device
        // nodes live on this tmpfs (the binds below get nodev of their own).
        FileSystem.Mount("tmpfs", root, "tmpfs", MountFlags.NoSuid, TmpfsOptions);
        foreach (var (target, link) in options.Symlinks)
        {
            MakeParents(root, link);
            FileSystem.Symlink(target, Inside(root, link));
        }
        foreach (var (source, target) in options.ReadOnlyBinds)
        {
            MakeParents(root, target);
            var at = Inside(root, target);
            if (Directory.Exists(source))
                Directory.CreateDirectory(at);
            else
                File.Create(at).Dispose();
            FileSystem.Mount(source, at, null, MountFlags.Bind);
            // A bind takes the source mount's flags; read-only, nosuid and nodev need a remount of the bind.
            FileSystem.Mount(null, at, null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev);
        }
        foreach (var (source, target) in options.WritableBinds)
        {
            // Recursive, and (like every mount here) a slave of the host's: mounts the host adds under
            // the source later (containers' root file systems) appear here too.
            MakeParents(root, target);
            var at = Inside(root, target);
            if (File.Exists(source))
                File.Create(at).Dispose(); // one file (a guest RAM file QEMU maps), without its directory
            else
                Directory.CreateDirectory(at);
            FileSystem.Mount(source, at, null, MountFlags.Bind | MountFlags.Recursive);
            FileSystem.Mount(null, at, null, MountFlags.Bind | MountFlags.Remount | MountFlags.NoSuid | MountFlags.NoDev);
        }
        if (options.OwnDescriptorDirectory)
        {
            // mount(2) resolves /proc/self now, to this process: the program it execs keeps the pid.
            var at = Inside(root, "/proc/self/fd");
            MakeParents(root, "/proc/self/fd");
            Directory.CreateDirectory(at);
            FileSystem.Mount("/proc/self/fd", at, null, MountFlags.Bind);
            FileSystem.Mount(null, at, null, MountFlags.Bind | MountFlags.Remount | MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
        }
        foreach (var path in options.Devices)
            MakeNode(root, path, devices[path], 0x1b6 /* 0666 */, null);
        foreach (var path in options.PrivateDevices)
            MakeNode(root, path, devices[path], 0x180 /* 0600 */, (options.Uid!.Value, options.Gid!.Value));
        FileSystem.Mount(null, root, null, MountFlags.Remount | MountFlags.ReadOnly | MountFlags.NoSuid, TmpfsOptions);
    }

    /// <summary>pivot_root into the jail and drop the host's tree (runc's pivot_root(".", ".") then a lazy unmount of ".").</summary>
    public static void Enter(string root)
    {
        ProcessControl.ChangeDirectory(root);
        FileSystem.PivotRoot(".", ".");
        FileSystem.Unmount(".", detach: true);
        ProcessControl.ChangeDirectory("/");
    }

    private static void MakeNode(string root, string path, DeviceNode node, uint mode, (uint Uid, uint Gid)? owner)
    {
        MakeParents(root, path);
        var at = Inside(root, path);
        FileSystem.MakeDevice(at, node.Character, node.Major, node.Minor, mode);
        File.SetUnixFileMode(at, (UnixFileMode)mode); // mknod's mode went through the umask
        if (owner is { } o)
            FileSystem.Chown(at, o.Uid, o.Gid);
    }

    private static string Inside(string root, string path) => root + path;

    /// <summary>Creates the directories above <paramref name="path"/> in the jail, refusing to pass through a symlink.</summary>
    private static void MakeParents(string root, string path)
    {
        var current = root;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length - 1; i++)
        {
            current += "/" + parts[i];
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null)
                throw new InvalidOperationException($"{path}: {current[root.Length..]} is a symlink in the jail; give the resolved path");
            if (!info.Exists)
                info.Create();
        }
    }
}
