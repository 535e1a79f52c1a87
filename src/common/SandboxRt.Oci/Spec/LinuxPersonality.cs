namespace SandboxRt.Oci.Spec;

public sealed class LinuxPersonality
{
    public string Domain { get; set; } = "";
    public List<string>? Flags { get; set; }
}
