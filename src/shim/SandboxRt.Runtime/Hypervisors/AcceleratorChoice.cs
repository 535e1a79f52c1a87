namespace SandboxRt.Runtime.Hypervisors;

/// <summary>Which accelerator a VM uses, whether KVM was usable, and why.</summary>
public sealed record AcceleratorChoice(string Accelerator, bool KvmUsable, string Reason)
{
    public bool IsTcg => Accelerator == "tcg";
}
