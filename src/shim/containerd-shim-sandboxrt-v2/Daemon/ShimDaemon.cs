// The shim daemon: the long-lived process `start` spawns, one per pod.
//
// It inherits its listening ttrpc socket on fd 3 from `start` (so the socket already accepts
// connections when `start` prints its address, as with containerd's runc shim), serves the Task API on
// it, owns the pod's VM through the Pod, and forwards task events to containerd at TTRPC_ADDRESS.
// It answers `sandboxrt monitor` for its pod on stats.sock (PodStatsServer): it holds the pod's only
// agent connection, so the monitor cannot ask the guest itself.
// It logs to the `log` fifo of the bundle it was started in, which containerd copies into its own log.
// It ends when containerd calls Shutdown and no container is left (or with `now`), or on SIGTERM/SIGINT,
// stopping the VM and removing its directory; what it records in pod.json lets `delete` clean up after
// it if it is killed instead.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using SandboxRt.Containerd.Protocol;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Monitoring;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Cli;
using SandboxRt.Shim.Logging;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;
using SandboxRt.Ttrpc;

namespace SandboxRt.Shim.Daemon;

internal static class ShimDaemon
{
    /// <summary>The descriptor on which `start` hands the daemon its listening socket.</summary>
    public const int ListenerFd = 3;

    public static async Task<int> RunAsync(ShimFlags flags)
    {
        var directory = Path.GetDirectoryName(flags.Socket) ?? throw new ArgumentException("-socket: missing");
        using var sink = ShimLogSink.Open(Path.Combine(Environment.CurrentDirectory, "log"), ShimPaths.FallbackLog(directory));
        var log = new LogrusLogger(sink.Write, json: false, debug: flags.Debug);
        try
        {
            var config = HypervisorConfigLoader.Load(flags.Config.Length > 0 ? flags.Config : null);
            foreach (var warning in config.Warnings)
                log.LogWarning("{Warning}", warning);
            var listener = new Socket(new SafeSocketHandle(ListenerFd, ownsHandle: true));
            return await ServeAsync(new ShimServeOptions(flags.Id, flags.Namespace, directory, flags.Socket, EventsAddress(flags.Address), listener, config), log);
        }
        catch (Exception e)
        {
            log.LogError("shim for pod {Pod}: {Error}", flags.Id, e.ToString());
            return 1;
        }
    }

    /// <summary>Where containerd takes task events: TTRPC_ADDRESS in the environment it runs `start` (and so the daemon) with.</summary>
    public static string EventsAddress(string containerdAddress) =>
        Environment.GetEnvironmentVariable(TaskApi.TtrpcAddressVariable) is { Length: > 0 } a ? a : containerdAddress + ".ttrpc";

    /// <summary>Serves the pod until containerd shuts the daemon down (or a signal), then stops its VM and removes its directory.</summary>
    public static async Task<int> ServeAsync(ShimServeOptions options, ILogger log)
    {
        var directory = options.Directory;
        var store = new PodRecordStore(ShimPaths.Record(directory));
        var publisher = new EventPublisher(options.EventsAddress, options.Namespace, log);
        var pod = new Pod(options.Pod, publisher, store.Save, log);
        store.Save(pod.Record);

        var exit = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = new TaskService(pod, now =>
        {
            if (!now && !pod.IsEmpty)
                return false;
            exit.TrySetResult(now ? "shutdown (now)" : "shutdown");
            return true;
        }, log);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; exit.TrySetResult("SIGTERM"); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; exit.TrySetResult("SIGINT"); });

        // the daemon idles for the pod's life: what a create or a start made the GC commit goes back once it is quiet
        using var trim = new SandboxRt.Runtime.Relay.IdleHeapTrim();
        var server = TtrpcServer.Serve(options.Listener, service.Register(new TtrpcServiceTable()), log);
        var stats = PodStatsServer.TryStart(directory, ct => PodStatsCollector.CollectAsync(pod, ct), log);
        log.LogInformation("shim for pod {Pod} serving on {Socket} (namespace {Namespace}, events to {Events})", options.PodId, options.Socket, options.Namespace, options.EventsAddress);

        var why = await exit.Task;
        log.LogInformation("shim for pod {Pod}: {Why}, exiting", options.PodId, why);
        // let the Shutdown answer leave before the connection closes
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        await server.StopAsync();
        if (stats is not null)
            await stats.DisposeAsync();
        await pod.DisposeAsync();
        await publisher.DisposeAsync();
        RemoveDirectory(directory, log);
        if (options.AfterStopAsync is { } afterStop)
            await afterStop();
        return 0;
    }

    /// <summary>
    /// Removes the shim's directory by descriptor (PrivateFiles.RemoveTree): no symlink is followed and no
    /// mount is crossed, so a mount left behind in the sandbox's directory (a container's rootfs) stops
    /// the removal instead of having its files deleted.
    /// </summary>
    public static void RemoveDirectory(string directory, ILogger log)
    {
        try
        {
            PrivateFiles.RemoveTree(directory);
        }
        catch (IOException e)
        {
            log.LogWarning("removing {Directory}: {Error}", directory, e.Message);
        }
    }
}
