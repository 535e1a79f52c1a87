using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Cli.Cli;

/// <summary>What every command gets: the global options, the log, the standard streams and the configuration.</summary>
internal sealed class CommandContext(GlobalOptions global, ILogger log, TextWriter stdout, TextWriter stderr)
{
    private HypervisorConfig? _config;

    public GlobalOptions Global { get; } = global;
    public ILogger Log { get; } = log;
    public TextWriter Out { get; } = stdout;
    public TextWriter Error { get; } = stderr;

    private Runtime.Lifecycle.LifecycleContext? _lifecycle;

    /// <summary>The lifecycle operations' context: the state store under --root, the configuration, the log.</summary>
    public Runtime.Lifecycle.LifecycleContext Lifecycle =>
        _lifecycle ??= new(new Runtime.State.StateStore(Global.Root), () => Config, Log, Global.ToArguments());

    /// <summary>The hypervisor configuration, loaded on first use (commands that do not boot never read it).</summary>
    public HypervisorConfig Config => _config ??= LoadConfig();

    private HypervisorConfig LoadConfig()
    {
        var config = HypervisorConfigLoader.Load(Global.ConfigPath, Global.ConfigOverrides);
        foreach (var warning in config.Warnings)
            Log.LogWarning("{Warning}", warning);
        return config;
    }
}
