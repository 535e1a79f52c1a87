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

    /// <summary>The hypervisor configuration, loaded on first use (commands that do not boot never read it).</summary>
    public HypervisorConfig Config => _config ??= HypervisorConfigLoader.Load(Global.ConfigPath, Global.ConfigOverrides);
}
