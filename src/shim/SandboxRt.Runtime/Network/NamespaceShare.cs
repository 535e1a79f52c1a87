// `docker run --pid container:X` (and `--ipc container:X`, podman's `--uts container:X`) through the runc CLI.
//
// Docker names X's namespace by X's pid, /proc/<X's pid>/ns/pid, and X's pid is its relay's, a host
// process in the host's pid, ipc and uts namespaces: joining that path would put the container in the
// host's namespace, which a VM cannot give. What the user means is X's container's namespace, and that
// lives in X's VM. So a container that runs in X's VM (it joined X's network: NetworkJoin) gets, in the
// guest, the namespace of X's init there: /proc/<X's guest pid>/ns/pid, as the shim does for a CRI pod's
// containers (PodNamespaces). Any container of that VM can be named (X, or one that joined X). Refused,
// naming the field: a container of this --root in another VM, or one that is not running (its guest pid
// could be reused), and a container that does not run in X's VM (no --network container:X): its VM
// cannot reach X's. A path that is no container's stays what it was, a host namespace (refused).
// Decide is the rule alone, over plain records (unit-tested); Find gathers them from the store.
using System.Text.RegularExpressions;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Network;

public static partial class NamespaceShare
{
    /// <summary>A container of the --root as <see cref="Decide"/> needs it.</summary>
    public sealed record Member(string Id, int? RelayPid, bool Running, string Sandbox, int GuestPid);

    /// <summary>
    /// The guest paths of the spec's pid, ipc and uts namespace paths that name a container of
    /// <paramref name="members"/> (index in linux.namespaces, path in the guest). <paramref name="sandbox"/>
    /// is the sandbox the new container runs in when it joins one (<see cref="SandboxOf"/>), else null.
    /// Throws <see cref="SpecValidationException"/> naming each path that names a container it cannot share with.
    /// </summary>
    public static IReadOnlyDictionary<int, string> Decide(Spec spec, string? sandbox, IReadOnlyList<Member> members)
    {
        var shared = new Dictionary<int, string>();
        var problems = new List<string>();
        var namespaces = spec.Linux?.Namespaces ?? [];
        for (int i = 0; i < namespaces.Count; i++)
        {
            var ns = namespaces[i];
            if (ns.Type is not (NamespaceTypes.Pid or NamespaceTypes.Ipc or NamespaceTypes.Uts) || string.IsNullOrEmpty(ns.Path))
                continue;
            if (ProcPath().Match(ns.Path) is not { Success: true } m || !int.TryParse(m.Groups[1].Value, out int pid)
                || m.Groups[2].Value != NamespaceTypes.ProcName(ns.Type) || members.FirstOrDefault(c => c.RelayPid == pid) is not { } owner)
                continue; // no container's: a host namespace (BundleSpecRewriter.CheckHostOnlyFields refuses it)
            var field = $"linux.namespaces[{i}].path";
            if (!owner.Running || owner.GuestPid <= 0)
                problems.Add($"{field}: '{ns.Path}' is the {ns.Type} namespace of container {owner.Id}, which is not running: a container can share only a running container's {ns.Type} namespace");
            else if (sandbox is null || owner.Sandbox != sandbox)
                problems.Add($"{field}: '{ns.Path}' is the {ns.Type} namespace of container {owner.Id}, which is in that container's VM: " +
                             $"a container shares it only when it runs in the same VM, which it does with the same network (--network container:{owner.Id})");
            else
                shared[i] = $"/proc/{owner.GuestPid}/ns/{NamespaceTypes.ProcName(ns.Type)}";
        }
        if (problems.Count > 0)
            throw new SpecValidationException(problems);
        return shared;
    }

    /// <summary>
    /// <see cref="Decide"/> over the containers of <paramref name="store"/> (but <paramref name="exceptId"/>),
    /// for a new container that joins the sandbox of container <paramref name="joinedId"/> (null: none).
    /// </summary>
    public static IReadOnlyDictionary<int, string> Find(StateStore store, Spec spec, string? joinedId, string? exceptId = null)
    {
        if (!(spec.Linux?.Namespaces ?? []).Any(n => n.Type is NamespaceTypes.Pid or NamespaceTypes.Ipc or NamespaceTypes.Uts && !string.IsNullOrEmpty(n.Path)))
            return new Dictionary<int, string>();
        var members = new List<Member>();
        string? sandbox = null;
        foreach (var id in store.Ids())
        {
            if (id == exceptId)
                continue;
            try
            {
                var record = store.Load(id);
                bool running = record.Status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused && record.Relay is { IsAlive: true };
                members.Add(new Member(id, record.Relay?.Pid, running, SandboxOf(record), record.GuestPid));
                if (id == joinedId)
                    sandbox = SandboxOf(record);
            }
            catch (Exception e) when (e is ContainerNotFoundException or IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                // deleted while we looked, or half-written by its create
            }
        }
        return Decide(spec, sandbox, members);
    }

    /// <summary>The sandbox a container runs in: the one it joined (another container's, or a VM cache entry's), else its own.</summary>
    public static string SandboxOf(ContainerRecord record) => record.JoinedSandbox ?? record.Id;

    /// <summary>Puts the guest paths <see cref="Decide"/> gave into <paramref name="spec"/> (a copy of the relay's own).</summary>
    public static void Apply(Spec spec, IReadOnlyDictionary<int, string> shared)
    {
        foreach (var (index, path) in shared)
            spec.Linux!.Namespaces![index].Path = path;
    }

    [GeneratedRegex(@"^/proc/([0-9]+)/ns/([a-z]+)$")]
    private static partial Regex ProcPath();
}
