namespace SandboxRt.Oci.Spec;

public sealed class LinuxResources
{
    public List<LinuxDeviceCgroup>? Devices { get; set; }
    public LinuxMemory? Memory { get; set; }
    public LinuxCpu? Cpu { get; set; }
    public LinuxPids? Pids { get; set; }
    public LinuxBlockIO? BlockIO { get; set; }
    public Dictionary<string, string>? Unified { get; set; }
}
