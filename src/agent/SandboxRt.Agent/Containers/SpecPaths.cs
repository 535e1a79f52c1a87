using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Containers;

/// <summary>Turns the host's shared-directory-relative paths in a spec (root.path, bind sources) into guest paths.</summary>
internal static class SpecPaths
{
    public static void ResolveInShared(Spec spec)
    {
        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            throw new ArgumentException("root.path: is required");
        spec.Root.Path = GuestPaths.InShared(spec.Root.Path, "root.path");
        if (!Directory.Exists(spec.Root.Path))
            throw new DirectoryNotFoundException($"root.path: {spec.Root.Path} does not exist in the guest (is the shared directory mounted?)");
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var m = spec.Mounts![i];
            if (m.IsBind && m.Source is { Length: > 0 } source)
                m.Source = GuestPaths.InShared(source, $"mounts[{i}].source");
        }
    }
}
