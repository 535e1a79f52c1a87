using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A stand-in for a guest that escaped its container: a privileged container (every capability, no
/// seccomp, no masked or read-only paths, no pid namespace of its own) that mounts the sandbox's share
/// itself, the way the agent does, and so reaches everything the file server exports.
/// </summary>
internal static class PrivilegedGuest
{
    /// <summary>Where the container mounts the share.</summary>
    public const string ShareMount = "/mnt";

    /// <summary>The shell line that mounts the share (virtio-fs, tag <see cref="SharedFsPlan.Tag"/>) at <see cref="ShareMount"/>.</summary>
    public static string MountShare => $"mount -t virtiofs {SharedFsPlan.Tag} {ShareMount} || {{ echo 'cannot mount the share'; exit 90; }}";

    /// <summary>Makes the spec's process privileged; the rootfs gets the mount point for the share.</summary>
    public static void MakePrivileged(Spec s)
    {
        var all = CapabilityNames.All.ToList();
        s.Process!.Capabilities = new Capabilities { Bounding = all, Effective = all, Permitted = all, Inheritable = all, Ambient = all };
        s.Process.NoNewPrivileges = false;
        s.Linux!.Seccomp = null;
        s.Linux.MaskedPaths = [];
        s.Linux.ReadonlyPaths = [];
        s.Linux.Namespaces!.RemoveAll(n => n.Type == NamespaceTypes.Pid);
    }
}
