namespace SandboxRt.Oci.Spec;

public sealed class IdMapping
{
    [System.Text.Json.Serialization.JsonPropertyName("containerID")]
    public uint ContainerId { get; set; }
    [System.Text.Json.Serialization.JsonPropertyName("hostID")]
    public uint HostId { get; set; }
    public uint Size { get; set; }
}
