namespace SandboxRt.Oci.Spec;

/// <summary>The five capability sets, by name (CAP_CHOWN, ...).</summary>
public sealed class Capabilities
{
    public List<string>? Bounding { get; set; }
    public List<string>? Effective { get; set; }
    public List<string>? Inheritable { get; set; }
    public List<string>? Permitted { get; set; }
    public List<string>? Ambient { get; set; }
}
