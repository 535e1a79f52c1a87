namespace SandboxRt.Oci.Spec;

public sealed class Hook
{
    public string Path { get; set; } = "";
    public List<string>? Args { get; set; }
    public List<string>? Env { get; set; }
    public int? Timeout { get; set; }
}
