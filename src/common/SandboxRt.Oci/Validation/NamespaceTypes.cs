namespace SandboxRt.Oci.Validation;

/// <summary>
/// The namespace types of the spec, their clone flags, their /proc/PID/ns names, and the order in
/// which they are joined (as youki's ORDERED_NAMESPACES: user first would matter if it were supported,
/// mount last so that the other /proc paths still resolve while joining).
/// </summary>
public static class NamespaceTypes
{
    public const string Pid = "pid", Network = "network", Mount = "mount", Ipc = "ipc", Uts = "uts", User = "user", Cgroup = "cgroup", Time = "time";

    public static readonly IReadOnlyList<string> JoinOrder = [User, Pid, Uts, Ipc, Network, Cgroup, Time, Mount];

    public static bool IsKnown(string type) => JoinOrder.Contains(type);

    /// <summary>The CLONE_NEW* flag.</summary>
    public static int CloneFlag(string type) => type switch
    {
        Mount => 0x00020000,
        Uts => 0x04000000,
        Ipc => 0x08000000,
        User => 0x10000000,
        Pid => 0x20000000,
        Network => 0x40000000,
        Cgroup => 0x02000000,
        Time => 0x00000080,
        _ => throw new ArgumentException($"unknown namespace type '{type}'"),
    };

    /// <summary>The entry under /proc/PID/ns.</summary>
    public static string ProcName(string type) => type switch
    {
        Mount => "mnt",
        Network => "net",
        _ => type,
    };
}
