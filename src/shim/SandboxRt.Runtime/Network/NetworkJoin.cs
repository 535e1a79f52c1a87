// `docker run --network container:X` through the runc CLI.
//
// Docker gives Y a spec whose linux.namespaces network path is /proc/<X's pid>/ns/net, X's pid being what
// `sandboxrt state X` reported: X's relay, which RelayLauncher started in a network namespace made for X
// and which X's VM mirrors (PodNetwork). A second VM cannot mirror that namespace again (the tc filters
// already take every frame), and two VMs could never share localhost anyway. So Y runs inside X's VM, as
// a second container of X's sandbox (as a pod's containers do, and as cc-oci-runtime proposed): in the
// guest it shares the VM's network namespace with X.
//
// This file decides, before anything is made, which sandbox a spec's network namespace belongs to:
//   - a namespace a live container of this --root mirrors (network.json's identity), or its relay's own
//     namespace: join that container's sandbox;
//   - /proc/<its relay>/ns/net of a live container whose relay runs in the host's namespace (a pod path's:
//     podman's infra container, whose pod containers name it so): by pid, join that container's sandbox;
//   - the namespace of a container that itself joined one (/proc/<its relay>/ns/net: its relay runs in
//     the host's namespace, so by pid): join the same sandbox;
//   - a namespace of a container that is not running (stopped, or its relay gone): refused, naming
//     linux.namespaces[i].path;
//   - anything else: not ours; the usual path (PodNetwork.Attach) mirrors it, or refuses it when another
//     VM (another --root, a containerd shim pod) already mirrors it.
// Decide is the rule alone, over plain records (unit-tested with fakes); Find gathers them from the store.
using System.Text.Json;
using System.Text.RegularExpressions;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Network;

public static partial class NetworkJoin
{
    /// <summary>
    /// The id of the container whose sandbox a new container must join to share the network namespace
    /// <paramref name="path"/> (identity <paramref name="identity"/>), or null when no container of
    /// <paramref name="owners"/> has it. Throws ArgumentException naming <paramref name="field"/> when the
    /// namespace is a container's that cannot take another one.
    /// </summary>
    public static string? Decide(string path, string field, string? identity, IReadOnlyList<NetworkOwner> owners)
    {
        var owner = identity is null ? null : owners.FirstOrDefault(o => o.JoinedSandbox is null && o.NamespaceIdentities.Contains(identity));
        // A pod path's container (podman's infra container): its relay runs in the host's namespace, so a
        // pod container's /proc/<that relay>/ns/net names it by the relay's pid, live (a relay that is gone
        // may have left its pid to another process, whose namespace is not the container's).
        int? pid = RelayPid(path);
        if (owner is null && pid is not null)
            owner = owners.FirstOrDefault(o => o.RelayPid == pid && o.JoinedSandbox is null && o.RelayAlive);
        if (owner is null && pid is not null && owners.FirstOrDefault(o => o.RelayPid == pid && o.JoinedSandbox is not null) is { } joined)
        {
            if (!joined.RelayAlive || joined.Status is not (ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused))
                throw NotRunning(path, field, joined);
            owner = owners.FirstOrDefault(o => o.Id == joined.JoinedSandbox)
                ?? throw new ArgumentException($"{field}: '{path}' is the network namespace of container {joined.Id}, whose sandbox (container {joined.JoinedSandbox}) is gone");
        }
        if (owner is null)
            return null;
        if (!owner.RelayAlive || owner.Status is not (ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused))
            throw NotRunning(path, field, owner);
        return owner.Id;
    }

    /// <summary>
    /// The container of <paramref name="store"/> whose sandbox the spec's network namespace belongs to
    /// (see <see cref="Decide"/>), with the field that named it; null when the spec names no network
    /// namespace path or none of ours.
    /// </summary>
    public static (string SandboxId, string Field)? Find(StateStore store, Spec spec, string? exceptId = null)
    {
        var namespaces = spec.Linux?.Namespaces ?? [];
        int index = namespaces.FindIndex(n => n.Type == NamespaceTypes.Network && !string.IsNullOrEmpty(n.Path));
        if (index < 0)
            return null;
        var path = namespaces[index].Path!;
        var field = $"linux.namespaces[{index}].path";
        string? identity = null;
        try
        {
            identity = FileIdentity.Of(path).ToString();
        }
        catch (SyscallException)
        {
            // not there: CheckHostOnlyFields says so; a /proc/<pid>/ns/net of a relay that just went is still matched by pid
        }
        var owners = new List<NetworkOwner>();
        foreach (var id in store.Ids())
        {
            if (id == exceptId)
                continue;
            try
            {
                owners.Add(Owner(store, id));
            }
            catch (Exception e) when (e is ContainerNotFoundException or IOException or InvalidDataException or JsonException)
            {
                // deleted while we looked, or half-written by its create: not a sandbox anyone can join yet
            }
        }
        return Decide(path, field, identity, owners) is { } sandbox ? (sandbox, field) : null;
    }

    private static NetworkOwner Owner(StateStore store, string id)
    {
        var record = store.Load(id);
        bool alive = record.Relay is { IsAlive: true };
        var identities = new List<string>();
        var networkFile = Path.Combine(store.Directory(id), PodNetwork.RecordFile);
        if (File.Exists(networkFile) && JsonSerializer.Deserialize(File.ReadAllText(networkFile), StateJsonContext.Default.NetworkRecord)?.NamespaceIdentity is { } mirrored)
            identities.Add(mirrored);
        if (alive && record.JoinedSandbox is null)
        {
            try
            {
                // the relay's own namespace, when it was made for the container (not the host's, where a relay of a pod path runs)
                var relayNamespace = FileIdentity.Of($"/proc/{record.Relay!.Pid}/ns/net");
                if (PodNetwork.HostNamespace(relayNamespace) is null)
                    identities.Add(relayNamespace.ToString());
            }
            catch (SyscallException)
            {
                alive = false; // gone since IsAlive
            }
        }
        var status = record.Status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused && !alive ? ContainerStatus.Stopped : record.Status;
        return new NetworkOwner(id, status, alive, identities) { RelayPid = record.Relay?.Pid, JoinedSandbox = record.JoinedSandbox };
    }

    private static ArgumentException NotRunning(string path, string field, NetworkOwner owner) =>
        new($"{field}: '{path}' is the network namespace of container {owner.Id}, which is {(owner.Status == ContainerStatus.Creating ? "still being created" : "not running")} " +
            $"(status {owner.Status.ToString().ToLowerInvariant()}): a container can join only a running container's network (docker run --network container:{owner.Id})");

    private static int? RelayPid(string path) =>
        ProcPath().Match(path) is { Success: true } m && int.TryParse(m.Groups[1].Value, out int pid) ? pid : null;

    [GeneratedRegex(@"^/proc/([0-9]+)/ns/net$")]
    private static partial Regex ProcPath();
}
