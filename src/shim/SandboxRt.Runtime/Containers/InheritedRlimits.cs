using System.Globalization;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// The resource limits a container's process gets where its spec names none. runc's container init
/// inherits them from the runtime's caller (containerd's shim, conmon, and so from containerd or the
/// engine: 1048576 open files under systemd's LimitNOFILE=infinity); Docker writes no rlimits unless
/// asked (--ulimit). In a VM the process would inherit the guest agent's instead, the kernel's defaults
/// (1024 open files, 4096 hard; a process count sized by the guest's memory), so Elasticsearch's
/// bootstrap check and servers with many connections failed where runc runs them. The limits this
/// process has (the relay's, the shim's: the caller's) go into the guest spec for RLIMIT_NOFILE and
/// RLIMIT_NPROC when the spec leaves them out, the open-file limit capped at the guest's fs.nr_open
/// (setrlimit above it fails). The others (stack, core, memlock) are the guest kernel's defaults, as they
/// are the host's on the common hosts.
/// </summary>
public static class InheritedRlimits
{
    /// <summary>The guest kernel's fs.nr_open (its default), the highest open-file limit setrlimit accepts there.</summary>
    public const ulong GuestNrOpen = 1048576;

    private static readonly (string Type, string Line)[] Inherited =
        [("RLIMIT_NOFILE", "Max open files"), ("RLIMIT_NPROC", "Max processes")];

    /// <summary>Adds to <paramref name="process"/> the limits of <paramref name="procLimits"/> (a /proc/PID/limits text) that it does not name.</summary>
    public static void FillMissing(Process process, string procLimits)
    {
        foreach (var (type, line) in Inherited)
        {
            if (process.Rlimits?.Any(r => r.Type == type) == true || Parse(procLimits, line) is not { } limit)
                continue;
            if (type == "RLIMIT_NOFILE")
                limit = (Math.Min(limit.Soft, GuestNrOpen), Math.Min(limit.Hard, GuestNrOpen));
            (process.Rlimits ??= []).Add(new Rlimit { Type = type, Soft = limit.Soft, Hard = limit.Hard });
        }
    }

    /// <summary><see cref="FillMissing(Process, string)"/> with this process's own limits.</summary>
    public static void FillMissing(Process process) => FillMissing(process, File.ReadAllText("/proc/self/limits"));

    /// <summary>
    /// The limits of a process exec'd into a container, by runc exec's rule: one that names no rlimit
    /// gets the container's (<paramref name="container"/>, config.json's process), and what neither
    /// names is inherited from the runtime's caller, as for the container's init. Docker and the CRI
    /// plugin copy the container's rlimits into an exec's spec; without this, an exec'd process got the
    /// guest agent's (1024 open files where runc gave containerd's 1048576).
    /// </summary>
    public static void FillMissingForExec(Process exec, Process? container) => FillMissingForExec(exec, container, File.ReadAllText("/proc/self/limits"));

    /// <summary><see cref="FillMissingForExec(Process, Process?)"/> with the caller's limits given as a /proc/PID/limits text.</summary>
    public static void FillMissingForExec(Process exec, Process? container, string procLimits)
    {
        if (exec.Rlimits is not { Count: > 0 } && container?.Rlimits is { Count: > 0 } theirs)
            exec.Rlimits = theirs.Select(r => new Rlimit { Type = r.Type, Soft = r.Soft, Hard = r.Hard }).ToList();
        FillMissing(exec, procLimits);
    }

    /// <summary>The soft and hard values of a /proc/PID/limits line ("unlimited": ulong.MaxValue); null when missing or unreadable.</summary>
    private static (ulong Soft, ulong Hard)? Parse(string procLimits, string name)
    {
        foreach (var row in procLimits.Split('\n'))
        {
            if (!row.StartsWith(name + " ", StringComparison.Ordinal))
                continue;
            var fields = row[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && Value(fields[0]) is { } soft && Value(fields[1]) is { } hard && soft <= hard)
                return (soft, hard);
        }
        return null;
    }

    private static ulong? Value(string text) =>
        text == "unlimited" ? ulong.MaxValue : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : null;
}
