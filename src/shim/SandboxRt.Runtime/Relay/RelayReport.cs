namespace SandboxRt.Runtime.Relay;

/// <summary>What a relay tells the CLI that started it, once, on its status pipe: ready (with its pid) or the error.</summary>
public sealed class RelayReport
{
    public bool Ok { get; set; }
    public int Pid { get; set; }
    public string? Error { get; set; }
    /// <summary>For a failed exec: 127 (not found) or 126 (cannot execute), as a shell would report.</summary>
    public int? ExitCode { get; set; }
}
