using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Core;

/// <summary>Container files through the sandbox's shared directory (virtio-fs): bind mounts the host makes by descriptor.</summary>
public sealed class SharedDirectoryStorage(SharedDirectory shared) : IContainerStorage
{
    public Spec Attach(Spec spec, string bundle, string containerId, bool networkMirrored) =>
        BundleSpecRewriter.ForGuest(spec, bundle, containerId, shared, networkMirrored);

    public void Detach(string containerId) => shared.RemoveContainer(containerId);
}
