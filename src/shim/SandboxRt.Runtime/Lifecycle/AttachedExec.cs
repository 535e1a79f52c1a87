using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// An exec that stays attached (runc exec without --detach): the process's stdio relayed to this
/// process's own, its exit status returned. Pipelined (issue 16): ExecProcess goes first, and the calls
/// that need the process (its output and its exit) go out with it instead of after its answer, one round
/// trip through the relay and the guest channel less; the agent holds them until the exec has started
/// (AgentMethods.AwaitExecHeader), and answers them NotFound when it fails. An agent from before that
/// answers NotFound at once: each such call is made again once the exec has started. Stdin waits for the
/// start, so that an exec that fails reads nothing from the host's stdin. A stdin already at its end when
/// the exec begins (a pipe whose writers have all closed: `cmd | sandboxrt exec`, a caller that gave no
/// input) or /dev/null is not streamed at all: the process gets no stdin from the host, which reads as the
/// same end of file, and the guest serves one call less.
/// </summary>
public static class AttachedExec
{
    /// <summary>How long the output may lag behind the exit before it is cut off.</summary>
    private static readonly TimeSpan OutputDrain = TimeSpan.FromSeconds(5);

    /// <summary>The process's exit status, or the shell's 127/126 when its program could not be executed.</summary>
    public static async Task<int> RunAsync(IAgent agent, string id, string execId, Oci.Spec.Process process, RunIo io)
    {
        using var cancel = new CancellationTokenSource();
        bool stdin = !AtEnd(io.StdinHandle);
        var started = agent.ExecAsync(id, execId, process, stdin);
        var relay = new StdioRelay(agent, id, execId, started);
        var stdout = relay.CopyOutputAsync(io.Stdout, stderr: false, cancel.Token);
        var stderr = relay.CopyOutputAsync(io.Stderr, stderr: true, cancel.Token);
        var exited = WaitPipelinedAsync(agent, id, execId, started, cancel.Token);
        try
        {
            await started;
        }
        catch (Exception e)
        {
            cancel.Cancel();
            Observe(stdout, stderr, exited);
            if (e is not AgentException failure)
                throw;
            if (Core.ExecFailure.StatusOf(failure) is { } status)
            {
                io.Diagnostics.WriteLine($"sandboxrt: {failure.Message}");
                return status;
            }
            throw Core.ExecFailure.InContainer(failure, id);
        }
        Interop.TerminalMode? raw = process.Terminal && Interop.TerminalMode.IsTerminal(io.StdinHandle) ? Interop.TerminalMode.MakeRaw(io.StdinHandle) : null;
        using var resize = process.Terminal ? WindowSizeForwarder.Start(agent, id, io.StdoutHandle, execId) : null;
        try
        {
            if (stdin)
                _ = relay.CopyInputAsync(io.Stdin, cancel.Token);
            var exit = await exited;
            await StdioRelay.DrainAsync(stdout, stderr, OutputDrain, cancel);
            return exit.Status;
        }
        finally
        {
            raw?.Dispose();
        }
    }

    /// <summary>WaitProcess sent with the exec (see StdioRelay: asked again once it started when an older agent did not wait for it).</summary>
    private static async Task<ProcessExit> WaitPipelinedAsync(IAgentProcesses agent, string id, string execId, Task started, CancellationToken cancellationToken)
    {
        try
        {
            return await agent.WaitAsync(id, execId, awaitStart: true, cancellationToken);
        }
        catch (AgentException e) when (e.Kind == AgentErrorKind.NotFound)
        {
            await started;
            return await agent.WaitAsync(id, execId, cancellationToken: cancellationToken);
        }
    }

    /// <summary>
    /// Whether reading <paramref name="stdin"/> can only give end of file: /dev/null, or poll says hang-up
    /// and nothing to read (a pipe whose writers closed). Anything else (data waiting, a terminal, a file) is streamed.
    /// </summary>
    private static bool AtEnd(System.Runtime.InteropServices.SafeHandle stdin)
    {
        try
        {
            if (Interop.DeviceNode.OfDescriptor(stdin) is { Character: true, Major: 1, Minor: 3 })
                return true; // /dev/null: every read is end of file
            return (Interop.Poller.Poll(stdin, Interop.PollEvents.In, 0) & (Interop.PollEvents.In | Interop.PollEvents.Hup)) == Interop.PollEvents.Hup;
        }
        catch (Interop.SyscallException)
        {
            return false; // not pollable: stream it as before
        }
    }

    /// <summary>Tasks whose failure is not this call's answer (the exec's own error is): their exceptions are observed, not thrown.</summary>
    private static void Observe(params Task[] tasks)
    {
        foreach (var task in tasks)
            _ = task.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }
}
