using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Containers;

/// <summary>What `sandboxrt run` was asked to do.</summary>
public sealed record RunOptions(string Id, string Bundle, string StateRoot, HypervisorConfig Config)
{
    /// <summary>Print where the time went (to the diagnostics writer) when the container ends.</summary>
    public bool Timings { get; init; }
}
