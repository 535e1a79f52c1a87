namespace SandboxRt.Shim.Pods;

/// <summary>One container of the pod: its bundle, its rootfs mount, its init and its execs.</summary>
internal sealed class PodContainer(string id, string bundle, bool mountedRootfs, int guestPid, PodProcess init)
{
    public string Id { get; } = id;
    public string Bundle { get; } = bundle;

    /// <summary>True when the shim mounted containerd's rootfs layers at bundle/rootfs (and must unmount them).</summary>
    public bool MountedRootfs { get; } = mountedRootfs;

    /// <summary>The container's init as the guest sees it (the pod's other containers join its namespaces by it).</summary>
    public int GuestPid { get; } = guestPid;
    public PodProcess Init { get; } = init;
    public Dictionary<string, PodProcess> Execs { get; } = new(StringComparer.Ordinal);

    /// <summary>Set when an OOM event was published for this container, so that its exit does not publish another.</summary>
    public bool OomPublished { get; set; }
}
