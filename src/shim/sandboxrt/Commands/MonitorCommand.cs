using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Monitoring;

namespace SandboxRt.Cli.Commands;

/// <summary>
/// `sandboxrt monitor [--listen ADDR:PORT] [--scan-root DIR]... [--shim-root DIR]`: the node's Prometheus
/// endpoint (GET /metrics), as kata-monitor is for Kata. Scans the global --root and every --scan-root
/// (Docker's is /run/docker/runtime-runc/moby) for CLI containers, and --shim-root (default
/// /run/sandboxrt/shim) for the shim v2's pods; runs until SIGTERM or SIGINT.
/// </summary>
internal sealed class MonitorCommand : ICommand
{
    public const string DefaultListen = "127.0.0.1:8090";

    public string Name => "monitor";
    public string Usage => $"serve Prometheus metrics for the node's sandboxes on --listen (default {DefaultListen}) until SIGTERM";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Value("listen", "address:port to serve /metrics on"), CliOptions.Repeated("scan-root", "another state root to scan (repeatable)"),
        CliOptions.Value("shim-root", $"where containerd-shim-sandboxrt-v2 keeps its pods (default {PodStatsSocket.ShimRoot})")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        var listen = args.Value("listen") ?? DefaultListen;
        if (!IPEndPoint.TryParse(listen, out var endpoint) || endpoint.Port == 0 && !listen.EndsWith(":0", StringComparison.Ordinal))
            throw new UsageException($"--listen: '{listen}' is not an address:port such as {DefaultListen}");
        var roots = new List<string> { context.Global.Root };
        roots.AddRange(args.Values("scan-root").Select(Path.GetFullPath));
        var shimRoot = Path.GetFullPath(args.Value("shim-root") ?? PodStatsSocket.ShimRoot);
        var metrics = new NodeMetrics(roots.Distinct().ToList(), MonitorJournal.Path, shimRoot: shimRoot);
        await using var server = await MetricsEndpoint.StartAsync(endpoint, metrics.Registry);
        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stop.Cancel(); });
        context.Out.WriteLine($"sandboxrt monitor: serving http://{server.EndPoint}/metrics for {string.Join(", ", roots)} and the pods under {shimRoot}");
        context.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
