using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// Which namespaces a new container joins (by path) and which it gets fresh, from linux.namespaces.
/// The cgroup namespace is left to init (it must be unshared after init is in its cgroup).
/// </summary>
internal sealed record NamespacePlan(IReadOnlyList<(string Type, string Path)> Join, int UnshareFlags, bool NewNetwork, bool NewCgroup)
{
    public static NamespacePlan From(Spec spec)
    {
        var join = new List<(string, string)>();
        int flags = 0;
        bool newNet = false, newCgroup = false;
        var byType = (spec.Linux?.Namespaces ?? []).ToDictionary(n => n.Type, n => n.Path);
        foreach (var type in NamespaceTypes.JoinOrder)
        {
            if (!byType.TryGetValue(type, out var path))
                continue;
            if (!string.IsNullOrEmpty(path))
            {
                join.Add((type, path));
                continue;
            }
            if (type == NamespaceTypes.Cgroup)
                newCgroup = true;
            else
                flags |= NamespaceTypes.CloneFlag(type);
            if (type == NamespaceTypes.Network)
                newNet = true;
        }
        return new NamespacePlan(join, flags, newNet, newCgroup);
    }
}
