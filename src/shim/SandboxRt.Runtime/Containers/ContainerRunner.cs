// `sandboxrt run`: runc's run, in a VM of its own: create, start and wait in one process.
//
// Everything the bundle could get wrong is checked before anything is created (validation names the
// field). Then the container is recorded and created as `sandboxrt create`'s relay creates one
// (ContainerHost: hooks, the state record `state` and `list` read, the sandbox, GuestContainer.CreateAsync,
// the proxy socket `kill` and `exec` reach the agent through) → attach stdout/stderr → start → poststart
// hooks → relay stdin, signals and the terminal → wait for the exit (or the VM's death: 137) → drain the
// output → tear everything down (VM, virtiofsd, mounts, the state directory and record) on every path →
// poststop hooks. The process exits with the container's status: its exit code, or 128+signal.
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Containers;

public static class ContainerRunner
{
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(RunOptions options, RunIo io, ILogger log, CancellationToken cancellationToken = default)
    {
        var timings = new RunTimings();
        var id = ContainerId.Validate(options.Id);
        var bundle = Path.GetFullPath(options.Bundle);
        var spec = SpecLoader.LoadBundle(bundle);
        var rootfs = SpecLoader.RootfsPath(spec, bundle);
        SpecValidator.Validate(spec, rootfs);
        if (Network.NetworkJoin.Find(new StateStore(options.StateRoot), spec, exceptId: id) is { } join)
            throw new ArgumentException($"{join.Field}: names the network namespace of container {join.SandboxId}: only create (then start) runs a container in another container's VM, run does not");
        Network.NamespaceShare.Find(new StateStore(options.StateRoot), spec, joinedId: null, exceptId: id); // another container's pid namespace: refused, naming it
        BundleSpecRewriter.CheckHostOnlyFields(spec);
        var process = spec.Process!;
        timings.Mark("bundle validated");

        if (process.Terminal && process.ConsoleSize is null && PseudoTerminal.GetWindowSize(io.StdoutHandle) is { } size)
            process.ConsoleSize = new ConsoleSize { Height = size.Rows, Width = size.Columns };

        var store = new StateStore(options.StateRoot);
        var record = new ContainerRecord { Id = id, Bundle = bundle, Rootfs = rootfs, Annotations = spec.Annotations, Hooks = RecordedHooks.Of(spec.Hooks), Status = ContainerStatus.Creating };
        using (store.Lock(id))
        {
            if (store.Exists(id))
                throw new InvalidOperationException($"container with id {id} already exists");
            store.Save(record);
        }
        ContainerHost? host = null;
        try
        {
            host = await ContainerHost.CreateAsync(store, record, spec, options.Config,
                new ContainerHost.NetworkChoice(BundleSpecRewriter.NetworkNamespacePath(spec), Own: false), log, options.Timings, options.StartSandbox, cancellationToken: cancellationToken);
            foreach (var (phase, at) in host.Sandbox.Boot?.Points ?? [])
                timings.MarkAt(phase, at);
            timings.Mark($"container created (its sandbox's agent answered after {host.Sandbox.BootTime.TotalMilliseconds:F0} ms)");
            return await RunCreatedAsync(host, store, spec, io, timings, log, cancellationToken);
        }
        finally
        {
            if (host is not null)
                await host.StopSandboxAsync();
            Storage.PrivateFiles.RemoveTree(store.Directory(id)); // the record, when the sandbox never started
            store.ForgetLock(id);
            timings.Mark("sandbox stopped");
            if (options.Timings)
                timings.Write(io.Diagnostics);
            if (host is not null)
                await RunPoststopAsync(spec, record, log);
        }
    }

    private static async Task<int> RunCreatedAsync(ContainerHost host, StateStore store, Spec spec, RunIo io, RunTimings timings, ILogger log, CancellationToken cancellationToken)
    {
        var agent = host.Sandbox.Agent;
        var id = host.Record.Id;
        var terminal = spec.Process!.Terminal;
        TerminalMode? rawMode = null;
        var relay = new StdioRelay(agent, id, "");
        using var outputCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stdout = relay.CopyOutputAsync(io.Stdout, stderr: false, outputCancel.Token);
        var stderr = relay.CopyOutputAsync(io.Stderr, stderr: true, outputCancel.Token);
        try
        {
            if (terminal && TerminalMode.IsTerminal(io.StdinHandle))
                rawMode = TerminalMode.MakeRaw(io.StdinHandle);
            using var resize = terminal ? WindowSizeForwarder.Start(agent, id, io.StdoutHandle) : null;

            // forwarding starts before the container does: a signal that arrives once it runs must not
            // find the runtime's default action (which would end `run` and leave the container)
            using var signals = new SignalForwarder(agent, id, e => log.LogDebug("forwarding a signal failed: {Error}", e.Message));
            try
            {
                await host.Container.StartAsync(cancellationToken);
            }
            catch (AgentException e) when (ExecFailure.StatusOf(e) is { } status)
            {
                io.Diagnostics.WriteLine($"sandboxrt: {e.Message}");
                return status;
            }
            host.Record.Status = ContainerStatus.Running;
            store.Save(host.Record);
            timings.Mark("container started");
            await HookRunner.RunAsync("poststart", spec.Hooks?.Poststart, OciStates.Of(host.Record), cancellationToken);

            _ = relay.CopyInputAsync(io.Stdin, cancellationToken).ContinueWith(
                t => log.LogDebug("stdin relay ended: {Error}", t.Exception?.InnerException?.Message), TaskContinuationOptions.OnlyOnFaulted);

            var exit = await host.Container.WaitAsync("", log, cancellationToken);
            timings.Mark($"container exited ({exit.Status}{(exit.OomKilled ? ", OOM killed" : "")})");
            host.RecordExit(exit);

            // Output written just before the exit may still be in flight.
            var output = Task.WhenAll(stdout, stderr);
            if (exit.VmWentAway || await Task.WhenAny(output, Task.Delay(OutputDrainTimeout, cancellationToken)) != output)
                outputCancel.Cancel(); // a process left behind still holds the pipes open, or nothing will come
            await Quietly(output);
            timings.Mark("output drained");
            return exit.Status;
        }
        finally
        {
            rawMode?.Dispose();
            outputCancel.Cancel();
            await Quietly(Task.WhenAll(stdout, stderr));
        }
    }

    /// <summary>poststop hooks run once everything is gone; their failures are logged, not fatal (runtime.md).</summary>
    private static async Task RunPoststopAsync(Spec spec, ContainerRecord record, ILogger log)
    {
        try
        {
            await HookRunner.RunAsync("poststop", spec.Hooks?.Poststop, OciStates.Of(record, ContainerStatus.Stopped));
        }
        catch (HookFailedException e)
        {
            log.LogWarning("{Error}", e.Message);
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
