namespace SandboxRt.Agent.Init;

/// <summary>The devices every container's /dev gets (runtime-spec config-linux.md#default-devices) and runc's links.</summary>
internal static class DefaultDevices
{
    public static readonly (string Path, uint Major, uint Minor)[] Nodes =
    [
        ("/dev/null", 1, 3),
        ("/dev/zero", 1, 5),
        ("/dev/full", 1, 7),
        ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9),
        ("/dev/tty", 5, 0),
    ];

    public static readonly (string Link, string Target)[] Links =
    [
        ("/dev/fd", "/proc/self/fd"),
        ("/dev/stdin", "/proc/self/fd/0"),
        ("/dev/stdout", "/proc/self/fd/1"),
        ("/dev/stderr", "/proc/self/fd/2"),
        ("/dev/ptmx", "pts/ptmx"),
        ("/dev/core", "/proc/kcore"),
    ];

    /// <summary>The device-cgroup rules that let a container use its default devices (and ptys), as runc allows them.</summary>
    public static readonly (char Type, long Major, long Minor, string Access)[] AllowRules =
    [
        ('c', 1, 3, "rwm"), ('c', 1, 5, "rwm"), ('c', 1, 7, "rwm"), ('c', 1, 8, "rwm"), ('c', 1, 9, "rwm"),
        ('c', 5, 0, "rwm"), ('c', 5, 1, "rwm"), ('c', 5, 2, "rwm"), ('c', 136, -1, "rwm"),
    ];
}
