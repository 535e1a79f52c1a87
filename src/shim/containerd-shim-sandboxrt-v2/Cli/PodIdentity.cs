using System.Text.Json;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// Which pod a bundle's container belongs to, from its config.json's CRI annotations. The pod id names
/// directories (the sandbox's state directory), so it is checked as a container id (runc's rule).
/// </summary>
internal static class PodIdentity
{
    public static string Of(string containerId, string bundle) => SandboxRt.Runtime.Sandboxes.SandboxId.Validate(Read(containerId, bundle));

    private static string Read(string containerId, string bundle)
    {
        var path = Path.Combine(bundle, SpecLoader.ConfigFileName);
        if (!File.Exists(path))
            return containerId;
        if (new FileInfo(path).Length > SpecLoader.MaxConfigBytes)
            throw new ArgumentException($"{path}: larger than {SpecLoader.MaxConfigBytes} bytes");
        Spec? spec;
        try
        {
            spec = JsonSerializer.Deserialize(File.ReadAllBytes(path), OciJsonContext.Default.Spec);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{path}: {e.Message}");
        }
        return CriAnnotations.PodOf(containerId, spec?.Annotations);
    }
}
