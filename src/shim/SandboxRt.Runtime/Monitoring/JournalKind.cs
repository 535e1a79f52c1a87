namespace SandboxRt.Runtime.Monitoring;

/// <summary>The latencies the journal records: a VM booted to a serving agent; a container created (CLI create, shim Create).</summary>
public enum JournalKind
{
    Boot,
    Create,
}
