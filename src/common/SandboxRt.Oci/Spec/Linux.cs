namespace SandboxRt.Oci.Spec;

public sealed class Linux
{
    public List<IdMapping>? UidMappings { get; set; }
    public List<IdMapping>? GidMappings { get; set; }
    public Dictionary<string, string>? Sysctl { get; set; }
    public LinuxResources? Resources { get; set; }
    public string? CgroupsPath { get; set; }
    public List<LinuxNamespace>? Namespaces { get; set; }
    public List<LinuxDevice>? Devices { get; set; }
    public LinuxSeccomp? Seccomp { get; set; }
    public string? RootfsPropagation { get; set; }
    public List<string>? MaskedPaths { get; set; }
    public List<string>? ReadonlyPaths { get; set; }
    public string? MountLabel { get; set; }
    public LinuxPersonality? Personality { get; set; }
}
