// `sandboxrt run`: runc's run, in a VM of its own.
//
// Everything the bundle could get wrong is checked before anything is created (validation names the
// field). Then: boot the sandbox with a shared directory → bind the rootfs and bind sources into it →
// CreateContainer → attach stdout/stderr → StartContainer → relay stdin, signals and the terminal →
// wait for the exit → drain the output → tear everything down (VM, virtiofsd, mounts, state directory),
// on every path. The process exits with the container's status: its exit code, or 128+signal.
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.Containers;

public static class ContainerRunner
{
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(RunOptions options, RunIo io, ILogger log, CancellationToken cancellationToken = default)
    {
        var timings = new RunTimings();
        var bundle = Path.GetFullPath(options.Bundle);
        var spec = SpecLoader.LoadBundle(bundle);
        SpecValidator.Validate(spec, SpecLoader.RootfsPath(spec, bundle));
        BundleSpecRewriter.CheckHostOnlyFields(spec);
        var process = spec.Process!;
        timings.Mark("bundle validated");

        TerminalMode? rawMode = null;
        if (process.Terminal && process.ConsoleSize is null && PseudoTerminal.GetWindowSize(io.StdoutHandle) is { } size)
            process.ConsoleSize = new ConsoleSize { Height = size.Rows, Width = size.Columns };

        var vmSize = VmSize.For(spec, options.Config);
        await using var sandbox = await Sandbox.StartAsync(
            new SandboxStartOptions(options.Id, options.StateRoot, options.Config)
            {
                Vcpus = vmSize.Vcpus,
                MemoryMib = vmSize.MemoryMib,
                WithSharedDirectory = true,
                NetworkNamespace = BundleSpecRewriter.NetworkNamespacePath(spec),
                MeasureBoot = options.Timings,
                CgroupsPath = HostCgroups.CgroupsPath.Resolve(spec.Linux?.CgroupsPath),
            }, log, cancellationToken);
        foreach (var (phase, at) in sandbox.Boot?.Points ?? [])
            timings.MarkAt(phase, at);
        timings.Mark($"sandbox ready (VM booted, agent answering after {sandbox.BootTime.TotalMilliseconds:F0} ms)");
        var agent = sandbox.Agent;
        var id = options.Id;
        try
        {
            var guestSpec = BundleSpecRewriter.ForGuest(spec, bundle, id, sandbox.Shared!);
            await agent.CreateContainerAsync(id, guestSpec, stdin: true, cancellationToken);
            timings.Mark("container created");

            var relay = new StdioRelay(agent, id, "");
            using var outputCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var stdout = relay.CopyOutputAsync(io.Stdout, stderr: false, outputCancel.Token);
            var stderr = relay.CopyOutputAsync(io.Stderr, stderr: true, outputCancel.Token);
            if (process.Terminal && TerminalMode.IsTerminal(io.StdinHandle))
                rawMode = TerminalMode.MakeRaw(io.StdinHandle);
            using var resize = process.Terminal ? WindowSizeForwarder.Start(agent, id, io.StdoutHandle) : null;

            // forwarding starts before the container does: a signal that arrives once it runs must not
            // find the runtime's default action (which would end `run` and leave the container)
            using var signals = new SignalForwarder(agent, id, e => log.LogDebug("forwarding a signal failed: {Error}", e.Message));
            try
            {
                await agent.StartContainerAsync(id, cancellationToken);
            }
            catch (AgentException e) when (e.Method == "StartContainer" && e.Message.Contains("exec:", StringComparison.Ordinal))
            {
                io.Diagnostics.WriteLine($"sandboxrt: {e.Message}");
                return e.Kind == AgentErrorKind.NotFound || e.Message.Contains("not found", StringComparison.Ordinal) ? 127 : 126;
            }
            timings.Mark("container started");

            _ = relay.CopyInputAsync(io.Stdin, cancellationToken).ContinueWith(
                t => log.LogDebug("stdin relay ended: {Error}", t.Exception?.InnerException?.Message), TaskContinuationOptions.OnlyOnFaulted);

            var exit = await agent.WaitAsync(id, "", cancellationToken);
            timings.Mark($"container exited ({exit.Status}{(exit.OomKilled ? ", OOM killed" : "")})");
            if (exit.OomKilled)
                log.LogWarning("container {Id} was killed by the out-of-memory killer", id);

            // Output written just before the exit may still be in flight.
            var output = Task.WhenAll(stdout, stderr);
            if (await Task.WhenAny(output, Task.Delay(OutputDrainTimeout, cancellationToken)) != output)
                outputCancel.Cancel(); // a process left behind still holds the pipes open
            await Quietly(output);
            timings.Mark("output drained");
            return exit.Status;
        }
        finally
        {
            rawMode?.Dispose();
            await sandbox.StopAsync(CancellationToken.None);
            timings.Mark("sandbox stopped");
            if (options.Timings)
                timings.Write(io.Diagnostics);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or AgentException or IOException)
        {
        }
    }
}
