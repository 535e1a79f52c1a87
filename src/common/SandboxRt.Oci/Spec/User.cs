namespace SandboxRt.Oci.Spec;

public sealed class User
{
    public uint Uid { get; set; }
    public uint Gid { get; set; }
    public uint? Umask { get; set; }
    public List<uint>? AdditionalGids { get; set; }
    public string? Username { get; set; }
}
