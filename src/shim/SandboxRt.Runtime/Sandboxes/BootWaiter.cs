using System.Diagnostics;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// Waits for a launched VM's agent to answer, and turns every way that can fail (the hypervisor exits,
/// the timeout passes) into a <see cref="BootFailedException"/> that quotes the guest console.
/// </summary>
public static class BootWaiter
{
    public const int ConsoleTailLines = 20;

    /// <param name="connector">How to reach the agent: the VM's channel, authenticated (see Sandbox).</param>
    public static async Task<(Stream Stream, TimeSpan Elapsed)> WaitForAgentAsync(IVirtualMachine vm, IAgentConnector connector, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var connect = connector.ConnectWhileBootingAsync(cts.Token).AsTask();
        var first = await Task.WhenAny(connect, vm.Exited);
        if (first == vm.Exited && !connect.IsCompletedSuccessfully)
        {
            cts.Cancel();
            await Settle(connect);
            throw Failed($"the VM stopped before its agent answered: {await vm.Exited}", vm);
        }
        try
        {
            return (await connect, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"the agent did not answer on {connector.Name} within {timeout.TotalSeconds:F0} s (boot_timeout_seconds)", vm);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Failed($"connecting to the agent on {connector.Name} failed: {e.Message}", vm, e);
        }
    }

    private static BootFailedException Failed(string reason, IVirtualMachine vm, Exception? inner = null)
    {
        // A panic's own line is often pushed out of the tail by the stack dump that follows it.
        var panic = LogTail.Read(vm.ConsoleLogPath, 400, 256 * 1024).LastOrDefault(l => l.Contains(KernelPanicMarker, StringComparison.Ordinal));
        if (panic is not null)
            reason += "; the guest kernel panicked: " + panic[(panic.IndexOf(KernelPanicMarker, StringComparison.Ordinal) + KernelPanicMarker.Length)..].Trim();
        return new(reason, LogTail.Read(vm.ConsoleLogPath, ConsoleTailLines), LogTail.Read(vm.HypervisorLogPath, 10), inner);
    }

    private const string KernelPanicMarker = "Kernel panic - not syncing:";

    private static async Task Settle(Task task)
    {
        try
        {
            await task;
        }
        catch
        {
        }
    }
}
