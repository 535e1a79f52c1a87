using System.Text.Json;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Oci.Validation;

/// <summary>Reads a bundle's config.json; malformed JSON becomes a SpecValidationException naming the line.</summary>
public static class SpecLoader
{
    public const string ConfigFileName = "config.json";

    /// <summary>The largest config.json accepted (a seccomp profile is ~50 KB; this bounds hostile input).</summary>
    public const long MaxConfigBytes = 4 * 1024 * 1024;

    public static Spec.Spec LoadBundle(string bundle)
    {
        var path = Path.Combine(bundle, ConfigFileName);
        if (!File.Exists(path))
            throw new SpecValidationException([$"{path}: no config.json in the bundle"]);
        if (new FileInfo(path).Length > MaxConfigBytes)
            throw new SpecValidationException([$"{path}: larger than {MaxConfigBytes} bytes"]);
        return Parse(File.ReadAllText(path), path);
    }

    public static Spec.Spec Parse(string json, string what = ConfigFileName)
    {
        try
        {
            return JsonSerializer.Deserialize(json, OciJsonContext.Default.Spec)
                ?? throw new SpecValidationException([$"{what}: empty document"]);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) ? "" : e.Path.TrimStart('$', '.') + ": ";
            throw new SpecValidationException([$"{what}: {field}invalid JSON (line {e.LineNumber + 1}): {e.Message.Split(" Path:")[0]}"]);
        }
    }

    public static string Serialize(Spec.Spec spec) => JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec);

    /// <summary>The absolute root file system path: root.path, relative to the bundle when not absolute.</summary>
    public static string RootfsPath(Spec.Spec spec, string bundle) =>
        Path.GetFullPath(Path.IsPathRooted(spec.Root!.Path) ? spec.Root.Path : Path.Combine(bundle, spec.Root.Path));
}
