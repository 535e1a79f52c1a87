using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Core;

/// <summary>How a container's files reach the guest: its root file system and bind sources placed where the guest sees them, and removed again.</summary>
public interface IContainerStorage
{
    /// <summary>
    /// Places the container's files in a place of their own and returns it with the spec the guest runs
    /// (paths rewritten to the guest's view). A failure leaves nothing placed.
    /// </summary>
    AttachedContainer Attach(Spec spec, string bundle, string containerId, bool networkMirrored);

    /// <summary>Removes what <see cref="Attach"/> placed. Nothing to remove is not an error.</summary>
    void Detach(AttachedContainer container);
}
