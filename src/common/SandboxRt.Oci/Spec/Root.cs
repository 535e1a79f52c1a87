namespace SandboxRt.Oci.Spec;

public sealed class Root
{
    public string Path { get; set; } = "";
    public bool Readonly { get; set; }
}
