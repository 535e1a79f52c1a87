namespace SandboxRt.Oci.Spec;

public sealed class LinuxSeccomp
{
    public string DefaultAction { get; set; } = "";
    public uint? DefaultErrnoRet { get; set; }
    public List<string>? Architectures { get; set; }
    public List<string>? Flags { get; set; }
    public string? ListenerPath { get; set; }
    public string? ListenerMetadata { get; set; }
    public List<LinuxSyscall>? Syscalls { get; set; }
}
