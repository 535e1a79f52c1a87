namespace SandboxRt.Oci.Spec;

/// <summary>A device node to create in the container's /dev.</summary>
public sealed class LinuxDevice
{
    public string Path { get; set; } = "";
    public string Type { get; set; } = "";
    public long Major { get; set; }
    public long Minor { get; set; }
    public uint? FileMode { get; set; }
    public uint? Uid { get; set; }
    public uint? Gid { get; set; }
}
