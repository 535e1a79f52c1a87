using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A stand-in for a guest that escaped its container: a privileged container (every capability, no
/// seccomp, no masked or read-only paths, and no pid namespace of its own, so that PID 1 is the agent)
/// that reaches the sandbox's share the way the agent has it mounted, through /proc/1/root, and so
/// everything the file server exports.
/// </summary>
/// <remarks>
/// Mounting the tag a second time (`mount -t virtiofs sandboxrt /mnt`) is no stand-in: virtiofsd
/// announces the rootfs and volumes as submounts, and the guest kernel hands a second mount of the tag
/// the superblock of one of those (the newest), so /mnt shows some container's rootfs, not the share.
/// </remarks>
internal static class PrivilegedGuest
{
    /// <summary>The share as the agent mounted it (GuestPaths.SharedMount in the agent), seen through PID 1.</summary>
    public const string Share = "/proc/1/root/run/sandboxrt/shared";

    /// <summary>
    /// Stops the script (exit 90) unless the share with <paramref name="containerId"/>'s directory is reachable;
    /// exports that directory as $c (its name is "&lt;id&gt;@&lt;nonce&gt;", found by a pattern).
    /// </summary>
    public static string RequireShare(string containerId) =>
        $"set -- {Share}/{containerId}@*; export c=\"$1\"; [ -d \"$c\" ] || {{ echo 'cannot reach the share'; busybox ls -la {Share}; exit 90; }}";

    /// <summary>The container's directory in the share, in a script that began with <see cref="RequireShare"/>.</summary>
    public const string ContainerDirectory = "$c";

    /// <summary>A shell function for the attack scripts: `try CMD...` prints "DID: CMD" when it succeeded, else "REFUSED: CMD" and its error.</summary>
    public const string TryFunction = "try() { if out=$(\"$@\" 2>&1); then echo \"DID: $*\"; else echo \"REFUSED: $* $out\"; fi; }";

    /// <summary>Makes the spec's process privileged, in the agent's pid namespace.</summary>
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
