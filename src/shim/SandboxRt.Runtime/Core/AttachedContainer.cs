using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Core;

/// <summary>
/// What <see cref="IContainerStorage.Attach"/> placed for one container: the spec the guest runs and the
/// name of the place (its directory in the shared directory), which <see cref="IContainerStorage.Detach"/>
/// removes, and only it: a container created again with the same id has a place of its own.
/// </summary>
public sealed record AttachedContainer(string ContainerId, string Name, Spec GuestSpec);
