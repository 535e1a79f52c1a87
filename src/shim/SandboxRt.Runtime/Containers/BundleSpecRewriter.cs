using System.Text.Json;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// Turns a bundle's spec into the spec the agent gets: the root file system and every bind-mount source
/// are bind-mounted into the container's directory <c>name</c> in the sandbox's shared directory
/// (<see cref="SharedDirectory.AddContainer"/>) and replaced by their paths relative to it; a host tmpfs
/// at /dev/shm becomes a guest tmpfs instead (<see cref="ShmMountRewrite"/>), and a bind of the host's
/// /proc or /sys (or below) the guest's own (<see cref="GuestSystemMount"/>).
/// The bundle's spec object is not modified.
/// </summary>
public static class BundleSpecRewriter
{
    /// <param name="networkMirrored">
    /// The container's new network namespace (no path) was made on the host and mirrored by the VM (the
    /// relay's, configured by Docker's hook): the container then shares the VM's namespace too.
    /// </param>
    public static Spec ForGuest(Spec spec, string bundle, string name, SharedDirectory shared, bool networkMirrored = false)
    {
        var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec), OciJsonContext.Default.Spec)!;
        NameTheVmsNetwork(copy, networkMirrored);
        if (copy.Process is { } process)
            InheritedRlimits.FillMissing(process);
        var rootfs = SpecLoader.RootfsPath(spec, bundle);
        // read-only from the first instant: its mount points must be there before it is shared
        if (spec.Root!.Readonly)
            foreach (var made in RootfsMountPoints.Create(spec, rootfs, m => HostSource(m, bundle)))
                KeepTmpfsModeOfANewDirectory(copy.Mounts![made]);
        copy.Root!.Path = shared.AddRootfs(name, rootfs, spec.Root!.Readonly);
        for (int i = 0; i < (copy.Mounts?.Count ?? 0); i++)
        {
            var m = copy.Mounts![i];
            if (!m.IsBind)
                continue;
            var source = HostSource(m, bundle);
            if (GuestSystemMount.SystemPath(source) is { } guestPath)
            {
                // the host's /proc or /sys (or below) never reaches the VM: the guest's own is bound there
                m.Source = guestPath;
                m.Options = [.. m.Options ?? [], GuestSystemMount.Option];
                continue;
            }
            if (ShmMountRewrite.ForGuest(m, source) is { } shm)
            {
                copy.Mounts[i] = shm;
                continue;
            }
            var options = m.Options ?? [];
            bool readOnly = options.Contains("ro");
            bool recursive = options.Contains("rbind");
            m.Source = shared.AddMountSource(name, i, source, readOnly, recursive);
        }
        return copy;
    }

    /// <summary>
    /// The container's network is the VM's namespace (the agent's, PID 1's, where the mirrored interfaces
    /// are): a namespace path is the pod's, which the VM mirrors (PodNetwork), or a running container's
    /// whose VM this one joins (NetworkJoin); a new namespace of its own (<paramref name="networkMirrored"/>)
    /// was made on the host and mirrored (the relay's, configured by Docker's hook). The guest spec names
    /// that namespace rather than dropping it, so that net.* sysctls stay valid and apply there: Docker's,
    /// podman's default net.ipv4.ping_group_range, a pod's (containerd 2.0 adds
    /// net.ipv4.ip_unprivileged_port_start to every CRI container); without a network namespace entry they
    /// were refused as not namespaced. A new namespace nobody mirrored stays the container's own.
    /// </summary>
    public static void NameTheVmsNetwork(Spec guestSpec, bool networkMirrored)
    {
        foreach (var ns in guestSpec.Linux?.Namespaces?.Where(n => n.Type == NamespaceTypes.Network && (networkMirrored || !string.IsNullOrEmpty(n.Path))) ?? [])
            ns.Path = GuestNetworkNamespace;
    }

    /// <summary>
    /// A tmpfs over a directory of the image takes that directory's mode when it has no mode= (the guest's
    /// init does it, as runc 1.1.8+ does), over a directory runc had to make, tmpfs's own (1777). The host
    /// made this one (a read-only root's mount point), so the init would find it there: it is told tmpfs's mode.
    /// </summary>
    private static void KeepTmpfsModeOfANewDirectory(Mount m)
    {
        if (m.Type == "tmpfs" && !m.IsBind && !(m.Options?.Any(o => o.StartsWith("mode=", StringComparison.Ordinal)) ?? false))
            m.Options = [.. m.Options ?? [], "mode=1777"];
    }

    /// <summary>A bind mount's source on the host: relative sources are the bundle's.</summary>
    private static string HostSource(Mount m, string bundle) =>
        Path.IsPathRooted(m.Source!) ? m.Source! : Path.GetFullPath(Path.Combine(bundle, m.Source!));

    /// <summary>The VM's network namespace as the guest names it: the agent's, where the mirrored interfaces are.</summary>
    public const string GuestNetworkNamespace = "/proc/1/ns/net";

    /// <summary>The spec asks for a new network namespace of the container's own (no path): Docker's bridge and none networks.</summary>
    public static bool WantsNewNetworkNamespace(Spec spec) =>
        spec.Linux?.Namespaces?.Any(n => n.Type == NamespaceTypes.Network && string.IsNullOrEmpty(n.Path)) ?? false;

    /// <summary>The network namespace path the spec names (the pod's), or null.</summary>
    public static string? NetworkNamespacePath(Spec spec) =>
        spec.Linux?.Namespaces?.FirstOrDefault(n => n.Type == NamespaceTypes.Network && !string.IsNullOrEmpty(n.Path))?.Path;

    /// <summary>
    /// Problems only the host can see. A network namespace path is the pod's network, which the VM
    /// mirrors: it must be a network namespace. Any other namespace path names a host namespace, which a
    /// VM cannot join, unless it is another container's that this one shares in their VM (<paramref name="shared"/>).
    /// A spec that lists namespaces but no network one runs in the runtime's under runc: the host's network
    /// (podman run --network host and ctr run --net-host write it so, as CRI does for a hostNetwork pod;
    /// Docker names its own namespace's path instead, which CheckNamespace refuses). A VM cannot share it,
    /// and giving it a loopback of its own instead would leave the container without the network it asked for.
    /// (A spec with no namespace list at all, written by hand, still gets the VM's own network.)
    /// An overlay mount whose layers are host directories (podman's) cannot be made in the guest, which
    /// does not have them: refused here, rather than failing in the guest with a path it cannot find.
    /// </summary>
    /// <param name="networkJoined">
    /// The network namespace path is a running container's whose VM this container joins
    /// (Network/NetworkJoin.cs): it is not mirrored again, so it is not checked as a pod's.
    /// </param>
    /// <param name="shared">Indexes in linux.namespaces of the pid, ipc and uts paths that name a container of the VM this one joins (Network/NamespaceShare.cs).</param>
    /// <param name="refuseHostNetwork">
    /// False for the containerd shim: a Kubernetes hostNetwork pod keeps running with the VM's own network
    /// (loopback only), as it did before the runc CLI refused host networking (README, "What works today").
    /// </param>
    public static void CheckHostOnlyFields(Spec spec, bool networkJoined = false, IReadOnlyCollection<int>? shared = null, bool refuseHostNetwork = true)
    {
        var problems = new List<string>();
        if (refuseHostNetwork && spec.Linux?.Namespaces is { } listed && !listed.Any(n => n.Type == NamespaceTypes.Network))
            problems.Add("linux.namespaces: there is no network namespace, so the container would use the host's network (run --network host, " +
                         "a Kubernetes hostNetwork pod, ctr run --net-host); a VM cannot share the host's network: host networking is not supported");
        for (int i = 0; i < (spec.Linux?.Namespaces?.Count ?? 0); i++)
        {
            var ns = spec.Linux!.Namespaces![i];
            if (string.IsNullOrEmpty(ns.Path) || shared?.Contains(i) == true)
                continue;
            if (ns.Type != NamespaceTypes.Network)
            {
                problems.Add($"linux.namespaces[{i}].path: names a host {ns.Type} namespace; a container in its own VM cannot join it");
                continue;
            }
            if (networkJoined)
                continue;
            try
            {
                PodNetwork.CheckNamespace(ns.Path, $"linux.namespaces[{i}].path");
            }
            catch (ArgumentException e)
            {
                problems.Add(e.Message);
            }
        }
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
            if (spec.Mounts![i] is { Type: "overlay" } m && m.Options?.Any(o => o.Split('=', 2) is [("lowerdir" or "upperdir" or "workdir"), [var first, ..]] && first == '/') == true)
                problems.Add($"mounts[{i}]: an overlay of host directories (podman's -v SOURCE:DEST:O, --mount type=image) is not supported: " +
                             "its lowerdir, upperdir and workdir are host paths, which the VM cannot reach; a bind mount of the directory is");
        if (problems.Count > 0)
            throw new SpecValidationException(problems);
    }
}
