using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// Whose pid namespace an app container's pid namespace path names, in the guest.
///
/// containerd's CRI plugin gives an app container a pid path in two cases: the pod shares one pid
/// namespace (shareProcessNamespace: every app container's path names the sandbox container), or the
/// container is kubectl debug's ephemeral container with <c>--target</c> (its path names the target
/// container). Both paths are /proc/PID/ns/pid of a task's host pid, and in a VM every task's host pid is
/// the VM's, so the path cannot say which. The pod's first app container tells the mode: with a path, the
/// pod shares, and every path means the sandbox container's namespace; without one, the pod's containers
/// each have their own, and a later container with a path is a debugger whose target is the pod's one
/// running container. With none or several running (debuggers aside) it is refused, naming them, rather
/// than joined to the wrong namespace.
/// </summary>
internal sealed class PodPidSharing
{
    private bool? _podShares;
    private readonly HashSet<string> _debuggers = new(StringComparer.Ordinal);

    /// <summary>
    /// The guest pid whose pid namespace the new app container <paramref name="id"/> joins, or null when its
    /// spec asks for a namespace of its own. <paramref name="running"/>: the pod's app containers whose init
    /// has not ended (id and guest pid), without the sandbox container.
    /// </summary>
    public int? TargetOf(string id, Spec spec, int sandboxGuestPid, IReadOnlyList<(string Id, int GuestPid)> running)
    {
        var namespaces = spec.Linux?.Namespaces ?? [];
        var index = namespaces.FindIndex(n => n.Type == NamespaceTypes.Pid && !string.IsNullOrEmpty(n.Path));
        _podShares ??= index >= 0;
        if (index < 0)
            return null;
        if (_podShares.Value)
            return sandboxGuestPid;
        var targets = running.Where(c => c.Id != id && !_debuggers.Contains(c.Id)).ToList();
        if (targets.Count != 1)
            throw new SpecValidationException([$"linux.namespaces[{index}].path: '{namespaces[index].Path}' names another container's pid namespace " +
                "(kubectl debug --target) in a pod whose containers each have their own; in a VM every container's host pid is the VM's, " +
                "so the target is taken to be the pod's one running container, and " +
                (targets.Count == 0 ? "none runs" : $"{targets.Count} run: {string.Join(", ", targets.Select(t => t.Id))}")]);
        _debuggers.Add(id);
        return targets[0].GuestPid;
    }

    /// <summary>Forgets a container that was removed.</summary>
    public void Removed(string id) => _debuggers.Remove(id);
}
