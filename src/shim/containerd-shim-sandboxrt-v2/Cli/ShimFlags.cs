using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// The shim's command line as containerd writes it (`-namespace NS -address A ... start`): declared to
/// System.CommandLine and read with Go's flag rules, as sandboxrt's own (<see cref="GoFlagRules"/>, the
/// same source file): flags end at the first argument, the action (`start`, `delete`, or none for the
/// daemon).
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
    /// <summary>The VM cache entry directory the daemon warms a VM in before any pod (set by start: Cache/VmCacheEntry).</summary>
    public string VmCacheEntry { get; init; } = "";
    public bool Debug { get; init; }
    public bool Version { get; init; }
    public bool Info { get; init; }
    public string Action { get; init; } = "";
    public bool Help { get; init; }

    private static readonly HelpOption HelpFlag = new("--help", "-h");

    /// <summary>containerd's shim flags (pkg/shim), plus -socket and -config that start passes to the daemon.</summary>
    private static readonly Option[] Flags =
    [
        CliOptions.Value("namespace", "namespace that owns the shim"),
        CliOptions.Value("address", "grpc address back to main containerd"),
        CliOptions.Value("publish-binary", "path to publish binary (used for publishing events)"),
        CliOptions.Value("id", "id of the task"),
        CliOptions.Value("bundle", "path to the bundle if not workdir"),
        CliOptions.Value("socket", "the daemon's ttrpc socket (set by start)"),
        CliOptions.Value("config", "the daemon's hypervisor configuration (set by start)"),
        CliOptions.Value("vm-cache-entry", "run as a VM cache entry in this directory (set by start)"),
        CliOptions.Switch("debug", "enable debug output in logs"),
        CliOptions.Switch("v", "show the shim version and exit"),
        CliOptions.Switch("info", "get the option protobuf from stdin, print the shim info and exit"),
    ];

    private static readonly RootCommand Command = Build();

    private static readonly ParserConfiguration Configuration = new() { EnablePosixBundling = false, ResponseFileTokenReplacer = null };

    public static ShimFlags Parse(IReadOnlyList<string> args)
    {
        GoFlagRules.Result line;
        try
        {
            line = GoFlagRules.Read(args, 0, Command.Options.Append(HelpFlag), GoFlagRules.Mode.StopAtFirstPositional);
        }
        catch (UsageException e)
        {
            throw new ArgumentException(e.Message);
        }
        if (line.Positionals.Count > 1)
            throw new ArgumentException($"unexpected arguments after {line.Positionals[0]}: {string.Join(' ', line.Positionals.Skip(1))}");
        var parsed = Command.Parse(line.Flags, Configuration);
        if (parsed.Errors.Count > 0)
            throw new ArgumentException(parsed.Errors[0].Message);
        string Value(string name) => parsed.GetValue<string>($"--{name}") ?? "";
        bool Bool(string name) => parsed.GetValue<bool>($"--{name}");
        return new ShimFlags
        {
            Namespace = Value("namespace"),
            Address = Value("address"),
            PublishBinary = Value("publish-binary"),
            Id = Value("id"),
            Bundle = Value("bundle"),
            Socket = Value("socket"),
            Config = Value("config"),
            VmCacheEntry = Value("vm-cache-entry"),
            Debug = Bool("debug"),
            Version = Bool("v"),
            Info = Bool("info"),
            Help = line.Flags.Contains(HelpFlag.Name),
            Action = line.Positionals.FirstOrDefault() ?? "",
        };
    }

    /// <summary>`-h`: the flags, in System.CommandLine's help layout (Go's flag package prints its usage and exits 0).</summary>
    public static void WriteHelp(TextWriter output)
    {
        Command.Parse(["--help"], Configuration).Invoke(new InvocationConfiguration { Output = output, ProcessTerminationTimeout = null });
    }

    private static RootCommand Build()
    {
        var root = new RootCommand("containerd-shim-sandboxrt-v2: the containerd shim v2 of sandboxrt (start, delete, or none for the daemon)");
        root.Options.Clear(); // System.CommandLine's own --version and -? are not the shim's
        foreach (var flag in Flags)
            root.Options.Add(flag);
        root.Options.Add(HelpFlag);
        root.SetAction(_ => 0);
        return root;
    }

    /// <summary>A VM cache entry's command line (what `start` runs to top the cache up).</summary>
    public static IReadOnlyList<string> ForCacheEntry(string entryDirectory, string config, bool debug)
    {
        List<string> args = ["-vm-cache-entry", entryDirectory];
        if (config.Length > 0)
            args.AddRange(["-config", config]);
        if (debug)
            args.Add("-debug");
        return args;
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
