using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// Host namespace paths in a pod's specs, translated for the guest. containerd's CRI plugin points an app
/// container's pid (see PodPidSharing), ipc and uts namespaces at the sandbox container's (/proc/&lt;pid&gt;/ns/...), and every
/// container's network namespace at the pod's. Inside the VM those become the sandbox container's
/// namespaces by its guest pid. The network namespace path stays: the VM mirrors that namespace's
/// interfaces, and every container of the pod shares the guest namespace that has them. A path to any other namespace (mount, user, cgroup) names a host namespace a VM
/// cannot join, and is refused.
/// </summary>
internal static class PodNamespaces
{
    /// <param name="spec">A spec of the shim's own (changed in place).</param>
    /// <param name="sandboxGuestPid">The guest pid of the pod's sandbox container, when the pod has one.</param>
    /// <param name="pidGuestPid">
    /// The guest pid whose pid namespace a pid path names (<see cref="PodPidSharing"/>: the sandbox
    /// container's, or kubectl debug's target); the sandbox container's when not given.
    /// </param>
    public static void TranslateForGuest(Spec spec, int? sandboxGuestPid, int? pidGuestPid = null)
    {
        var namespaces = spec.Linux?.Namespaces;
        if (namespaces is null)
            return;
        for (int i = namespaces.Count - 1; i >= 0; i--)
        {
            var ns = namespaces[i];
            if (string.IsNullOrEmpty(ns.Path))
                continue;
            switch (ns.Type)
            {
                case NamespaceTypes.Network:
                    break; // the pod's network: the VM mirrors it (see PodNetwork), and the guest spec names the VM's (BundleSpecRewriter)
                case NamespaceTypes.Pid or NamespaceTypes.Ipc or NamespaceTypes.Uts:
                    if (sandboxGuestPid is not { } pid)
                        throw new SpecValidationException([$"linux.namespaces[{i}].path: '{ns.Path}' names another container's {ns.Type} namespace, " +
                                                           "but this pod has no sandbox container to share it with"]);
                    ns.Path = $"/proc/{(ns.Type == NamespaceTypes.Pid ? pidGuestPid ?? pid : pid)}/ns/{NamespaceTypes.ProcName(ns.Type)}";
                    break;
                default:
                    throw new SpecValidationException([$"linux.namespaces[{i}].path: '{ns.Path}' is a host {ns.Type} namespace; a container in its own VM cannot join it"]);
            }
        }
    }
}
