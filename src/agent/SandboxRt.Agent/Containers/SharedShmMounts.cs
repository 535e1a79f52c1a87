using System.Text.RegularExpressions;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Containers;

/// <summary>
/// The agent's half of <see cref="GuestShm"/>: each tmpfs mount marked with a key becomes a bind mount of
/// the tmpfs of that key under /run/sandboxrt/shm, mounted (with the first such mount's size and mode) in
/// the agent's own mount namespace the first time the key is seen, so that every container whose /dev/shm
/// was the same host directory shares one. They stay until the VM ends (a pod's keys are few: one per pod,
/// or per Docker container sharing its IPC).
/// </summary>
internal static partial class SharedShmMounts
{
    /// <summary>The tmpfs mounted so far (this process is the VM's PID 1: they live as long as it).</summary>
    private static readonly HashSet<string> Mounted = new(StringComparer.Ordinal);

    [GeneratedRegex("^[0-9a-f]+$")]
    private static partial Regex Hex();

    /// <param name="root">Where the tmpfs of each key is mounted (the unit tests' directory instead of /run/sandboxrt/shm).</param>
    /// <param name="mount">Mounts a tmpfs (source, target, flags, data): the unit tests' fake instead of mount(2).</param>
    public static void Resolve(Spec spec, string root = GuestShm.GuestRoot, Action<string, string, MountFlags, string>? mount = null)
    {
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var m = spec.Mounts![i];
            var marker = m.Options?.FirstOrDefault(o => o.StartsWith(GuestShm.KeyOption, StringComparison.Ordinal));
            if (marker is null)
                continue;
            var key = marker[GuestShm.KeyOption.Length..];
            if (m.Type != "tmpfs" || key.Length != GuestShm.KeyLength || !Hex().IsMatch(key))
                throw new ArgumentException($"mounts[{i}].options: '{marker}' must be on a tmpfs mount and name {GuestShm.KeyLength} lowercase hex digits");
            var data = string.Join(',', m.Options!.Where(o => o.StartsWith("size=", StringComparison.Ordinal) || o.StartsWith("mode=", StringComparison.Ordinal)));
            var target = Path.Combine(root, key);
            lock (Mounted)
            {
                if (!Mounted.Contains(target))
                {
                    Directory.CreateDirectory(target);
                    (mount ?? MountTmpfs)("shm", target, MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec, data);
                    Mounted.Add(target);
                }
            }
            var options = new List<string> { "rbind", "nosuid", "nodev", "noexec" };
            if (m.Options!.Contains("ro"))
                options.Add("ro");
            spec.Mounts[i] = new Mount { Destination = m.Destination, Type = "bind", Source = target, Options = options };
        }
    }

    private static void MountTmpfs(string source, string target, MountFlags flags, string data) => FileSystem.Mount(source, target, "tmpfs", flags, data);
}
