namespace SandboxRt.Oci.Spec;

public sealed class Rlimit
{
    public string Type { get; set; } = "";
    public ulong Hard { get; set; }
    public ulong Soft { get; set; }
}
