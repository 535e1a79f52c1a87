using SandboxRt.Interop;

namespace SandboxRt.Agent.Boot;

/// <summary>The file systems PID 1 mounts before anything else, in order.</summary>
internal static class SystemMounts
{
    private const MountFlags Common = MountFlags.NoSuid | MountFlags.NoExec | MountFlags.NoDev;

    private static readonly (string Source, string Target, string Type, MountFlags Flags, string? Data)[] Table =
    [
        ("proc", "/proc", "proc", Common, null),
        ("sysfs", "/sys", "sysfs", Common, null),
        ("devtmpfs", "/dev", "devtmpfs", MountFlags.NoSuid, "mode=0755"),
        ("devpts", "/dev/pts", "devpts", MountFlags.NoSuid | MountFlags.NoExec, "newinstance,ptmxmode=0666,mode=0620"),
        ("shm", "/dev/shm", "tmpfs", Common, "mode=1777"),
        ("tmpfs", "/run", "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, "mode=0755"),
        ("tmpfs", "/tmp", "tmpfs", MountFlags.NoSuid | MountFlags.NoDev, "mode=1777"),
        ("cgroup2", "/sys/fs/cgroup", "cgroup2", Common, "nsdelegate," + FavorDynMods),
    ];

    /// <summary>
    /// cgroup2's favordynmods (Linux 6.0): moving a process into a cgroup (every container's init and
    /// every exec, ContainerCgroup.AddProcess) no longer waits for an RCU grace period in
    /// percpu_down_write, which took a median 26 ms of each exec's 66 ms in the agent under TCG; forks
    /// and exits pay a plain rwsem instead. A kernel without it refuses the option: mounted without.
    /// </summary>
    private const string FavorDynMods = "favordynmods";

    /// <summary>
    /// Replaces the initramfs root by a bind mount of itself (see GuestBoot, step 0). Must run first,
    /// before any other mount exists: the bind is not recursive.
    /// </summary>
    public static void MakeRootPivotable()
    {
        const string staging = "/.root";
        Directory.CreateDirectory(staging);
        FileSystem.Mount("/", staging, null, MountFlags.Bind);
        ProcessControl.ChangeDirectory(staging);
        FileSystem.Mount(staging, "/", null, MountFlags.Move);
        FileSystem.Chroot(".");
        ProcessControl.ChangeDirectory("/");
    }

    /// <summary>
    /// "TYPE SOURCE OPTIONS" of the root file system, from /proc/self/mountinfo: the initramfs ("rootfs" or
    /// tmpfs, unpacked into this VM's RAM) or the host's read-only image ("ext4 /dev/pmem0 ro,dax=always":
    /// run from the host's page cache through DAX).
    /// </summary>
    public static string DescribeRoot()
    {
        string? root = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS
            var fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (fields.Length > 4 && fields[4] == "/" && dash > 0 && dash + 3 < fields.Length)
                root = $"{fields[dash + 1]} {fields[dash + 2]} {fields[dash + 3]}"; // the last "/" is the one on top
        }
        return root ?? "unknown (no / in /proc/self/mountinfo)";
    }

    public static void MountAll()
    {
        foreach (var (source, target, type, flags, data) in Table)
        {
            Directory.CreateDirectory(target);
            try
            {
                FileSystem.Mount(source, target, type, flags, data);
            }
            catch (SyscallException e) when (e.Errno == Errno.EBUSY)
            {
                // Already mounted (devtmpfs can be mounted by the kernel itself).
            }
            catch (SyscallException e) when (e.Errno == Errno.EINVAL && data?.EndsWith("," + FavorDynMods, StringComparison.Ordinal) == true)
            {
                AgentLog.Warn($"mount {type} on {target} with {FavorDynMods}: {e.Message}; mounted without it");
                FileSystem.Mount(source, target, type, flags, data[..^(FavorDynMods.Length + 1)]);
            }
        }
    }
}
