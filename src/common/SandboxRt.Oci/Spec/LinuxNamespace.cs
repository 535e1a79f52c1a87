namespace SandboxRt.Oci.Spec;

/// <summary>A namespace to create (no path) or to join (path).</summary>
public sealed class LinuxNamespace
{
    public string Type { get; set; } = "";
    public string? Path { get; set; }
}
