using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// The size of a CLI container's VM that other containers joined (docker run --network container:ID,
/// Network/NetworkJoin.cs): sized as a pod's, the default plus the limits of its own container and of
/// every container that joined it. A joining container grows the VM to it; deleting one shrinks it back.
/// </summary>
public static class JoinedSandboxSize
{
    /// <param name="except">A container left out (the one being deleted).</param>
    public static VmSize For(StateStore store, string sandboxId, HypervisorConfig config, string? except = null) =>
        VmSize.ForPod(Limits(store, sandboxId, except), config);

    /// <summary>The limits of the sandbox's own container, then of each container that joined it.</summary>
    public static List<LinuxResources?> Limits(StateStore store, string sandboxId, string? except = null) =>
        Records(store, sandboxId, except).Select(Of).ToList();

    /// <summary>
    /// The host CPUs and memory nodes the VM runs on (<see cref="HostCpuset.ForPod"/>): those of its
    /// containers, and not of a VM cache entry's record (no container: it names none, and would unpin).
    /// </summary>
    /// <param name="except">A container left out (the one being deleted, or updated).</param>
    /// <param name="with">The limits of one more container (the updated one's new limits).</param>
    public static HostCpuset Cpuset(StateStore store, string sandboxId, string? except = null, LinuxResources? with = null)
    {
        var limits = Records(store, sandboxId, except).Where(r => r.VmCacheKey is null).Select(Of);
        return HostCpuset.ForPod(with is null ? limits : limits.Append(with));
    }

    private static IEnumerable<ContainerRecord> Records(StateStore store, string sandboxId, string? except)
    {
        foreach (var id in store.Ids())
        {
            if (id == except)
                continue;
            ContainerRecord record;
            try
            {
                record = store.Load(id);
            }
            catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException)
            {
                continue; // deleted meanwhile, or half-written
            }
            if (id == sandboxId || record.JoinedSandbox == sandboxId)
                yield return record;
        }
    }

    /// <summary>What a container's VM share is sized by: the limits its last update left, else its bundle's.</summary>
    public static LinuxResources? Of(ContainerRecord record)
    {
        if (record.Limits is { } limits)
            return limits.AsResources();
        if (record.VmCacheKey is not null)
            return null; // a VM cache entry: no container, no bundle, the default size
        try
        {
            return SpecLoader.LoadBundle(record.Bundle).Linux?.Resources;
        }
        catch (SpecValidationException)
        {
            return null; // the bundle is gone
        }
    }
}
