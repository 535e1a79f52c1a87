namespace SandboxRt.Oci.Spec;

/// <summary>config.json (runtime-spec config.md). Unknown fields are ignored, as runc ignores them.</summary>
public sealed class Spec
{
    public string? OciVersion { get; set; }
    public Process? Process { get; set; }
    public Root? Root { get; set; }
    public string? Hostname { get; set; }
    public string? Domainname { get; set; }
    public List<Mount>? Mounts { get; set; }
    public Hooks? Hooks { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public Linux? Linux { get; set; }
}
