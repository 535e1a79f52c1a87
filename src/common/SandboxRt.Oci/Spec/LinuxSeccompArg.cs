namespace SandboxRt.Oci.Spec;

public sealed class LinuxSeccompArg
{
    public uint Index { get; set; }
    public ulong Value { get; set; }
    public ulong ValueTwo { get; set; }
    public string Op { get; set; } = "";
}
