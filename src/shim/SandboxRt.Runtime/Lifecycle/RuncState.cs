namespace SandboxRt.Runtime.Lifecycle;

/// <summary>What `state` and `list --format json` print: runc's state JSON (the OCI state plus rootfs, created, owner).</summary>
public sealed class RuncState
{
    public string OciVersion { get; set; } = "1.2.0";
    public string Id { get; set; } = "";
    public int Pid { get; set; }
    public string Status { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public DateTime Created { get; set; }
    public string Owner { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
}
