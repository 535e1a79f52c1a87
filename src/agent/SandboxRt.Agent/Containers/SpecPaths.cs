using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Containers;

/// <summary>Turns the host's shared-directory-relative paths in a spec (root.path, bind sources) into guest paths; a bind the host marked <see cref="GuestSystemMount.Option"/> keeps its /proc or /sys path, the guest's own.</summary>
internal static class SpecPaths
{
    public static void ResolveInShared(Spec spec)
    {
        if (spec.Root is null || string.IsNullOrEmpty(spec.Root.Path))
            throw new ArgumentException("root.path: is required");
        spec.Root.Path = GuestPaths.InShared(spec.Root.Path, "root.path");
        if (!Directory.Exists(spec.Root.Path))
            throw new DirectoryNotFoundException($"root.path: {spec.Root.Path} does not exist in the guest (is the shared directory mounted?)");
        ResolveMountSources(spec);
    }

    /// <summary>The bind sources: paths in the shared directory, or the guest's own /proc and /sys where the host marked them so.</summary>
    public static void ResolveMountSources(Spec spec)
    {
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var m = spec.Mounts![i];
            if (!m.IsBind || m.Source is not { Length: > 0 } source)
                continue;
            if (m.Options?.Contains(GuestSystemMount.Option) == true)
            {
                // the host's /proc or /sys: the VM's own is bound instead (and nothing else may be named so)
                m.Source = GuestSystemMount.SystemPath(source)
                           ?? throw new ArgumentException($"mounts[{i}].source: '{source}' is marked {GuestSystemMount.Option} but is not /proc, /sys or below");
                m.Options = [.. m.Options.Where(o => o != GuestSystemMount.Option)];
                continue;
            }
            m.Source = GuestPaths.InShared(source, $"mounts[{i}].source");
        }
    }
}
