using SandboxRt.Runtime.Core;

namespace SandboxRt.Shim.Pods;

/// <summary>One container of the pod: its bundle, its rootfs mount, the container in the guest, its init and its execs.</summary>
internal sealed class PodContainer(string bundle, bool mountedRootfs, GuestContainer guest, PodProcess init)
{
    public string Id => Guest.Id;
    public string Bundle { get; } = bundle;

    /// <summary>True when the shim mounted containerd's rootfs layers at bundle/rootfs (and must unmount them).</summary>
    public bool MountedRootfs { get; } = mountedRootfs;

    public GuestContainer Guest { get; } = guest;

    /// <summary>The container's limits, which the pod's VM is sized for (with the other containers').</summary>
    public Oci.Spec.LinuxResources? Resources { get; set; }
    public PodProcess Init { get; } = init;

    /// <summary>The CRI sandbox (pause) container: its missing cpuset does not unpin the pod's VM (Pod.CpusetLimits).</summary>
    public bool IsCriSandbox { get; init; }

    /// <summary>Its process's spec from the bundle (rlimits that an exec without any gets, runc's rule), kept from create.</summary>
    public Oci.Spec.Process? Process { get; init; }

    /// <summary>Its host hooks (prestart ... poststop), kept from create so that delete does not read the bundle again.</summary>
    public PodHooks? Hooks { get; init; }
    public Dictionary<string, PodProcess> Execs { get; } = new(StringComparer.Ordinal);

    /// <summary>Set when an OOM event was published for this container, so that its exit does not publish another.</summary>
    public bool OomPublished { get; set; }
}
