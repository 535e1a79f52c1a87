namespace SandboxRt.Oci.Spec;

/// <summary>A device access rule: type a/b/c, major/minor (null = any), access of r, w, m.</summary>
public sealed class LinuxDeviceCgroup
{
    public bool Allow { get; set; }
    public string? Type { get; set; }
    public long? Major { get; set; }
    public long? Minor { get; set; }
    public string? Access { get; set; }
}
