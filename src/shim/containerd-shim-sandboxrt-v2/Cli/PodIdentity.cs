using SandboxRt.Oci.Validation;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// Which pod a bundle's container belongs to, from its config.json's CRI annotations. The pod id names
/// directories (the sandbox's state directory), so it is checked as a container id (runc's rule).
/// </summary>
internal static class PodIdentity
{
    public static string Of(string containerId, string bundle) => SandboxRt.Oci.Validation.ContainerId.Validate(Read(containerId, bundle));

    private static string Read(string containerId, string bundle)
    {
        var path = Path.Combine(bundle, SpecLoader.ConfigFileName);
        if (!Path.Exists(path))
            return containerId;
        // read as every config.json is read: bounded, a regular file, strict JSON (SpecLoader)
        return CriAnnotations.PodOf(containerId, SpecLoader.LoadBundle(bundle).Annotations);
    }
}
