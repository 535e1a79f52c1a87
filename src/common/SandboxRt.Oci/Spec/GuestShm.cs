namespace SandboxRt.Oci.Spec;

/// <summary>
/// /dev/shm in a VM. Docker and the CRI plugin give a container's /dev/shm as a bind mount of a host tmpfs
/// (the container's, or the pod's, which its containers share). Through the shared directory it would be
/// virtio-fs in the guest: pages in the host's tmpfs, charged to no container, invisible to the guest's
/// memory accounting (kubelet's working set), and its size only the host's. So the host turns such a
/// mount into a guest tmpfs of the same size, marked with <see cref="KeyOption"/> and a key of the host
/// source; the agent mounts one tmpfs per key (under <see cref="GuestRoot"/>) and bind-mounts it, so that
/// containers whose /dev/shm was the same host directory (a pod's, or `--ipc container:X`) share it.
/// </summary>
public static class GuestShm
{
    /// <summary>The mount option that carries the key (16 lowercase hex digits).</summary>
    public const string KeyOption = "x-sandboxrt.shm=";

    /// <summary>Where the agent mounts the shared tmpfs of each key.</summary>
    public const string GuestRoot = "/run/sandboxrt/shm";

    /// <summary>The key's length: 16 hex digits of the SHA-256 of the host source's path.</summary>
    public const int KeyLength = 16;
}
