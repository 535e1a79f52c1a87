namespace SandboxRt.Oci.Spec;

public sealed class Mount
{
    public string Destination { get; set; } = "";
    public string? Type { get; set; }
    public string? Source { get; set; }
    public List<string>? Options { get; set; }
    public List<IdMapping>? UidMappings { get; set; }
    public List<IdMapping>? GidMappings { get; set; }

    /// <summary>A bind mount: type "bind", or any type with the bind/rbind option.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsBind => Type == "bind" || (Options?.Any(o => o is "bind" or "rbind") ?? false);
}
