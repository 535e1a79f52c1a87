namespace SandboxRt.Jailer;

/// <summary>
/// The jailer's command line, parsed completely before any step runs (a bad argument changes nothing):
/// <code>
/// sandboxrt-jailer [--pid-ns] [--cgroup DIR]... [--root DIR [--bind-ro SOURCE TARGET]... [--symlink TARGET LINK]...
///                  [--bind-rw SOURCE TARGET]... [--dev PATH]... [--dev-private PATH]... [--proc-self-fd]]
///                  [--uid N --gid N] [--caps N,N,...]
///                  [--keep-fd N]... -- PROGRAM [ARG]...
/// </code>
/// Paths inside the jail (TARGET, LINK, device paths) are absolute and must not pass through a symlink
/// the jail itself holds: the host resolves them, so nothing here can be steered onto a host path.
/// </summary>
internal sealed class JailerOptions
{
    /// <summary>
    /// The caller started the jailer as pid 1 of a new pid namespace (the runtime's spawn unshares
    /// CLONE_NEWPID; the program keeps pid 1 across exec): refuse to go on anywhere else, so the program
    /// never runs in the host's pid namespace by mistake.
    /// </summary>
    public bool OwnPidNamespace { get; private set; }
    public List<string> Cgroups { get; } = [];
    /// <summary>An existing empty directory to mount the jail's tmpfs on and pivot_root into; null: no new root.</summary>
    public string? Root { get; private set; }
    public List<(string Source, string Target)> ReadOnlyBinds { get; } = [];
    /// <summary>Writable recursive binds: a file server's shared directory (QEMU's 9p), which must see later mounts under it.</summary>
    public List<(string Source, string Target)> WritableBinds { get; } = [];
    public List<(string Target, string Link)> Symlinks { get; } = [];
    public List<string> Devices { get; } = [];
    public List<string> PrivateDevices { get; } = [];
    /// <summary>
    /// Binds this process's own /proc/PID/fd at /proc/self/fd in the jail (the program keeps the pid across
    /// exec): QEMU's 9p server reaches xattrs through /proc/self/fd/N/NAME. Nothing else of /proc.
    /// </summary>
    public bool OwnDescriptorDirectory { get; private set; }
    public uint? Uid { get; private set; }
    public uint? Gid { get; private set; }
    /// <summary>The bounding set to keep when staying root (virtiofsd); null keeps it whole. Ignored with --uid: all go.</summary>
    public List<int>? Capabilities { get; private set; }
    public List<int> KeepDescriptors { get; } = [];
    public string Program { get; private set; } = "";
    public List<string> Arguments { get; } = [];

    public static JailerOptions Parse(IReadOnlyList<string> args)
    {
        var o = new JailerOptions();
        int i = 0;
        string Next(string flag) => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{flag} needs a value");
        string Absolute(string flag, string value) =>
            value.StartsWith('/') && !value.Split('/').Contains("..") && !value.Contains('\0')
                ? value : throw new ArgumentException($"{flag} {value}: not an absolute path without '..'");
        for (; i < args.Count; i++)
        {
            var flag = args[i];
            switch (flag)
            {
                case "--pid-ns": o.OwnPidNamespace = true; break;
                case "--cgroup": o.Cgroups.Add(Absolute(flag, Next(flag))); break;
                case "--root": o.Root = Absolute(flag, Next(flag)); break;
                case "--bind-ro": o.ReadOnlyBinds.Add((Absolute(flag, Next(flag)), Absolute(flag, Next(flag)))); break;
                case "--bind-rw": o.WritableBinds.Add((Absolute(flag, Next(flag)), Absolute(flag, Next(flag)))); break;
                case "--symlink": o.Symlinks.Add((Next(flag), Absolute(flag, Next(flag)))); break;
                case "--dev": o.Devices.Add(Absolute(flag, Next(flag))); break;
                case "--dev-private": o.PrivateDevices.Add(Absolute(flag, Next(flag))); break;
                case "--proc-self-fd": o.OwnDescriptorDirectory = true; break;
                case "--uid": o.Uid = Id(flag, Next(flag)); break;
                case "--gid": o.Gid = Id(flag, Next(flag)); break;
                case "--caps": o.Capabilities = Next(flag).Split(',', StringSplitOptions.RemoveEmptyEntries).Select(c => Number(flag, c, 63)).ToList(); break;
                case "--keep-fd": o.KeepDescriptors.Add(Number(flag, Next(flag), 1 << 20)); break;
                case "--":
                    if (i + 1 >= args.Count)
                        throw new ArgumentException("-- must be followed by the program to run");
                    o.Program = Absolute("PROGRAM", args[i + 1]);
                    o.Arguments.AddRange(args.Skip(i + 1));
                    i = args.Count;
                    break;
                default: throw new ArgumentException($"unknown argument {flag}");
            }
        }
        if (o.Program.Length == 0)
            throw new ArgumentException("no program: give it after --");
        if (o.Uid.HasValue != o.Gid.HasValue)
            throw new ArgumentException("--uid and --gid go together");
        if (o.Uid == 0 || o.Gid == 0)
            throw new ArgumentException("--uid/--gid 0: leave them out to stay root");
        if (o.Root is null && (o.ReadOnlyBinds.Count > 0 || o.WritableBinds.Count > 0 || o.Symlinks.Count > 0 || o.Devices.Count > 0 || o.PrivateDevices.Count > 0 || o.OwnDescriptorDirectory))
            throw new ArgumentException("--bind-ro, --bind-rw, --symlink, --dev and --proc-self-fd need --root");
        if (o.PrivateDevices.Count > 0 && o.Uid is null)
            throw new ArgumentException("--dev-private needs --uid and --gid (the user who owns the node)");
        return o;
    }

    private static uint Id(string flag, string value) =>
        uint.TryParse(value, out var id) && id < uint.MaxValue ? id : throw new ArgumentException($"{flag} {value}: not a user or group id");

    private static int Number(string flag, string value, int max) =>
        int.TryParse(value, out var n) && n >= 0 && n <= max ? n : throw new ArgumentException($"{flag} {value}: not a number from 0 to {max}");
}
