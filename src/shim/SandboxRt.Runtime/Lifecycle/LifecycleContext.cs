using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>What every lifecycle operation works with: the state store, the configuration, the log,
/// and the global arguments a relay must be started with.</summary>
public sealed class LifecycleContext(StateStore store, Func<HypervisorConfig> config, ILogger log, IReadOnlyList<string> globalArguments)
{
    private HypervisorConfig? _config;

    public StateStore Store { get; } = store;
    public ILogger Log { get; } = log;
    public HypervisorConfig Config => _config ??= config();

    /// <summary>--root, --log, --config... as this CLI call got them: the relay is started with the same.</summary>
    public IReadOnlyList<string> GlobalArguments { get; } = globalArguments;

    /// <summary>Loads a record and brings its status up to date: a live container whose relay is gone has stopped.</summary>
    public ContainerRecord Refresh(string id)
    {
        var record = Store.Load(id);
        if (record.Status is ContainerStatus.Created or ContainerStatus.Running or ContainerStatus.Paused && record.Relay is not { IsAlive: true })
            record.Status = ContainerStatus.Stopped;
        return record;
    }
}
