using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// What a process that joins a relay's mount namespace finds there: an empty, read-only directory, never
/// the host's tree.
///
/// A relay is the container's process as the engine sees it (state's pid), and the engine may enter
/// its mount namespace to reach the container's files: `podman cp` of a running container (libpod's
/// joinMountAndExec) does setns(/proc/PID/ns/mnt) and then copies at "/". Under runc that is the
/// container's root; a relay lived in the host's namespace, so `podman cp FILE ctr:/etc/x` wrote the
/// host's /etc/x and `podman cp ctr:/etc/shadow .` read the host's (2026-12-07). The container's
/// files are in its VM, out of the host's reach by path, so the honest answer is none: the copy fails
/// ("could not be found on container", a read-only file system) and the host is untouched.
///
/// How: /proc/PID/ns/mnt is the namespace of the thread group's leader, the main thread, which from
/// here on only waits for the relay's work. It alone moves to a namespace of its own (unshare of
/// CLONE_NEWNS on one thread gives that thread a copy, as the jailer's exec thread does), makes every
/// mount there private (nothing it does propagates back to the host), and makes an empty tmpfs that
/// namespace's root as runc does for a container (pivot_root(".", ".") and a lazy unmount of the old
/// root): the namespace then holds no copy of a host mount, which would keep a file system the host
/// unmounts in use for the relay's life. The tmpfs goes read-only. setns puts a joiner at that root;
/// /proc/PID/root and cwd show it too. Every other thread, with what it spawns and mounts, stays in the
/// host's namespace with the host's root: the main thread must create no thread and open no path after
/// this (it only waits).
/// </summary>
public static class RelayMountView
{
    private const string TmpfsOptions = "size=4k,nr_inodes=2,mode=0555";
    private const MountFlags Locked = MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec;

    public static void HideHostFromJoiners()
    {
        Namespaces.Unshare(NamespaceTypes.CloneFlag(NamespaceTypes.Mount), "the relay's main thread's mount namespace (what a joiner sees)");
        FileSystem.Mount(null, "/", null, MountFlags.Recursive | MountFlags.Private);
        // /proc always exists: the new root's mount point, in this namespace only
        FileSystem.Mount("sandboxrt-relay", "/proc", "tmpfs", Locked, TmpfsOptions);
        ProcessControl.ChangeDirectory("/proc");
        FileSystem.PivotRoot(".", ".");
        FileSystem.Unmount(".", detach: true);
        ProcessControl.ChangeDirectory("/");
        FileSystem.Mount(null, "/", null, MountFlags.Remount | MountFlags.ReadOnly | Locked, TmpfsOptions);
    }
}
