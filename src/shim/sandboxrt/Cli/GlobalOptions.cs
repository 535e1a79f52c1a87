using System.CommandLine;

namespace SandboxRt.Cli.Cli;

/// <summary>runc's global flags, plus the hypervisor configuration and its per-run overrides.</summary>
internal sealed record GlobalOptions(
    string Root,
    string? LogPath,
    string LogFormat,
    bool Debug,
    bool SystemdCgroup,
    string? ConfigPath,
    IReadOnlyDictionary<string, string> ConfigOverrides)
{
    public const string DefaultRoot = "/run/sandboxrt";

    /// <summary>--version (-v): handled before anything else, as runc's.</summary>
    public static readonly Option<bool> Version = CliOptions.Switch("version", "print the version", "v");

    /// <summary>The global flags (before the verb). --help is System.CommandLine's (<see cref="CliParser"/>).</summary>
    public static readonly IReadOnlyList<Option> Options =
    [
        CliOptions.Value("root", "root directory for storage of container state (default: /run/sandboxrt)"),
        CliOptions.Value("log", "log file (default: stderr)"),
        CliOptions.Value("log-format", "log format: text or json (default: text)"),
        CliOptions.Switch("debug", "enable debug logging"),
        CliOptions.Switch("systemd-cgroup", "accepted for runc compatibility; container cgroups live inside the guest"),
        CliOptions.Value("config", "hypervisor configuration file (default: $SANDBOXRT_CONFIG, /etc/sandboxrt/qemu.json, then the one installed with sandboxrt)"),
        CliOptions.Repeated("config-option", "override one configuration field for this run, as key=value (repeatable)"),
        CliOptions.Value("criu", "accepted for runc compatibility (checkpointing is not supported)"),
        CliOptions.Value("rootless", "accepted for runc compatibility (rootless mode is not supported)"),
        Version,
    ];

    /// <summary>These options as command-line arguments again (how a relay is started with the same settings).</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var args = new List<string> { "--root", Path.GetFullPath(Root), "--log-format", LogFormat };
        if (LogPath is not null)
            args.AddRange(["--log", Path.GetFullPath(LogPath)]);
        if (Debug)
            args.Add("--debug");
        if (ConfigPath is not null)
            args.AddRange(["--config", Path.GetFullPath(ConfigPath)]);
        foreach (var (key, value) in ConfigOverrides)
            args.AddRange(["--config-option", $"{key}={value}"]);
        return args;
    }

    public static GlobalOptions From(CommandArgs args)
    {
        var format = args.Value("log-format") ?? "text";
        if (format is not ("text" or "json"))
            throw new UsageException($"--log-format: '{format}' is not text or json");
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in args.Values("config-option"))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new UsageException($"--config-option: '{pair}' is not key=value");
            overrides[pair[..eq]] = pair[(eq + 1)..];
        }
        return new GlobalOptions(
            Root: args.Value("root") ?? DefaultRoot,
            LogPath: args.Value("log"),
            LogFormat: format,
            Debug: args.Bool("debug"),
            SystemdCgroup: args.Bool("systemd-cgroup"),
            ConfigPath: args.Value("config"),
            ConfigOverrides: overrides);
    }
}
