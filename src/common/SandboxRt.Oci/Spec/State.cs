namespace SandboxRt.Oci.Spec;

/// <summary>The OCI state (runtime.md#state): what `state` prints and what hooks read on stdin.</summary>
public sealed class State
{
    public string OciVersion { get; set; } = "1.2.0";
    public string Id { get; set; } = "";
    public string Status { get; set; } = "";
    public int Pid { get; set; }
    public string Bundle { get; set; } = "";
    public Dictionary<string, string>? Annotations { get; set; }
}
