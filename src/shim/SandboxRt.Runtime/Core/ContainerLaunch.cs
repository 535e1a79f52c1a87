using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Core;

/// <summary>
/// One container to create in a sandbox: its id, its validated spec and bundle, whether the host will
/// write to its stdin, and whether the sandbox mirrors a network namespace made for this container.
/// </summary>
public sealed record ContainerLaunch(string Id, Spec Spec, string Bundle)
{
    public bool Stdin { get; init; } = true;

    /// <summary>The container asked for a new network namespace and got the sandbox's mirrored one.</summary>
    public bool NetworkMirrored { get; init; }
}
