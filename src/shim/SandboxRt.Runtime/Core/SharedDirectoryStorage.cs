using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Core;

/// <summary>Container files through the sandbox's shared directory (virtio-fs): bind mounts the host makes by descriptor, in a directory named anew for each container.</summary>
public sealed class SharedDirectoryStorage(SharedDirectory shared) : IContainerStorage
{
    public AttachedContainer Attach(Spec spec, string bundle, string containerId, bool networkMirrored)
    {
        var name = shared.AddContainer(containerId);
        try
        {
            return new AttachedContainer(containerId, name, BundleSpecRewriter.ForGuest(spec, bundle, name, shared, networkMirrored));
        }
        catch
        {
            shared.RemoveDirectory(name);
            throw;
        }
    }

    public void Detach(AttachedContainer container) => shared.RemoveDirectory(container.Name);
}
