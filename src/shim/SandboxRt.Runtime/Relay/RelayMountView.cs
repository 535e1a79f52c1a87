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
/// container's root; a relay lives in the host's namespace, so `podman cp FILE ctr:/etc/x` wrote the
/// host's /etc/x and `podman cp ctr:/etc/shadow .` read the host's (2026-12-07). The container's
/// files are in its VM, out of the host's reach by path, so the honest answer is none: the copy fails
/// ("could not be found on container", a read-only file system) and the host is untouched.
///
/// How: /proc/PID/ns/mnt is the namespace of the thread group's leader, the main thread, which from
/// here on only waits for the relay's work. It alone moves to a namespace of its own (unshare of
/// CLONE_NEWNS on one thread gives that thread a copy, as the jailer's exec thread does), makes every
/// mount there private (nothing it does propagates back to the host) and mounts an empty read-only
/// tmpfs over "/". setns puts a joiner at that namespace's root, which is the tmpfs. The main thread's own
/// root and working directory stay where they were, and every other thread, with what it spawns and
/// mounts, stays in the host's namespace: the main thread must create no thread after this (it only
/// waits), or that thread would start in the empty view.
/// </summary>
public static class RelayMountView
{
    public static void HideHostFromJoiners()
    {
        Namespaces.Unshare(NamespaceTypes.CloneFlag(NamespaceTypes.Mount), "the relay's main thread's mount namespace (what a joiner sees)");
        FileSystem.Mount(null, "/", null, MountFlags.Recursive | MountFlags.Private);
        FileSystem.Mount("sandboxrt-relay", "/", "tmpfs", MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, "size=4k,nr_inodes=2,mode=0555");
    }
}
