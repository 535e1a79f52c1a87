using SandboxRt.Runtime.CommandLine;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// The shim's command line as containerd writes it, parsed with Go's flag rules (<see cref="GoFlagParser"/>):
/// flags end at the first argument, the action (`start`, `delete`, or none for the daemon).
/// </summary>
internal sealed record ShimFlags
{
    public string Namespace { get; init; } = "";
    public string Address { get; init; } = "";
    public string PublishBinary { get; init; } = "";
    public string Id { get; init; } = "";
    public string Bundle { get; init; } = "";
    public string Socket { get; init; } = "";
    /// <summary>The hypervisor config the daemon uses (from runtime options; ours, not containerd's).</summary>
    public string Config { get; init; } = "";
    public bool Debug { get; init; }
    public bool Version { get; init; }
    public bool Info { get; init; }
    public string Action { get; init; } = "";

    /// <summary>containerd's shim flags (pkg/shim), plus -socket and -config that start passes to the daemon.</summary>
    public static readonly FlagSpec[] Flags =
    [
        new("namespace", true, "namespace that owns the shim"),
        new("address", true, "grpc address back to main containerd"),
        new("publish-binary", true, "path to publish binary (used for publishing events)"),
        new("id", true, "id of the task"),
        new("bundle", true, "path to the bundle if not workdir"),
        new("socket", true, "the daemon's ttrpc socket (set by start)"),
        new("config", true, "the daemon's hypervisor configuration (set by start)"),
        new("debug", false, "enable debug output in logs"),
        new("v", false, "show the shim version and exit"),
        new("info", false, "get the option protobuf from stdin, print the shim info and exit"),
    ];

    public static ShimFlags Parse(IReadOnlyList<string> args)
    {
        var parsed = GoFlagParser.Parse(args, Flags);
        if (parsed.Positionals.Count > 1)
            throw new ArgumentException($"unexpected arguments after {parsed.Positionals[0]}: {string.Join(' ', parsed.Positionals.Skip(1))}");
        return new ShimFlags
        {
            Namespace = parsed.Value("namespace") ?? "",
            Address = parsed.Value("address") ?? "",
            PublishBinary = parsed.Value("publish-binary") ?? "",
            Id = parsed.Value("id") ?? "",
            Bundle = parsed.Value("bundle") ?? "",
            Socket = parsed.Value("socket") ?? "",
            Config = parsed.Value("config") ?? "",
            Debug = parsed.Bool("debug"),
            Version = parsed.Bool("v"),
            Info = parsed.Bool("info"),
            Action = parsed.Positionals.FirstOrDefault() ?? "",
        };
    }

    /// <summary>The daemon's own command line (what `start` runs).</summary>
    public IReadOnlyList<string> ForDaemon(string podId, string socket, string config)
    {
        List<string> args = ["-namespace", Namespace, "-address", Address, "-publish-binary", PublishBinary, "-id", podId, "-socket", socket];
        if (config.Length > 0)
            args.AddRange(["-config", config]);
        if (Debug)
            args.Add("-debug");
        return args;
    }
}
