namespace SandboxRt.Oci.Spec;

public sealed class LinuxSyscall
{
    public List<string> Names { get; set; } = new();
    public string Action { get; set; } = "";
    public uint? ErrnoRet { get; set; }
    public List<LinuxSeccompArg>? Args { get; set; }
}
