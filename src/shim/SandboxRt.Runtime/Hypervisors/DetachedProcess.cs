using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>Ends a process an earlier call started (a VMM, a relay), through a pidfd, never by a pid that may be reused.</summary>
public static class DetachedProcess
{
    /// <summary>Waits for the process to end, killing it after <paramref name="grace"/> (through a pidfd, never by a pid that may be reused).</summary>
    public static async Task WaitGoneAsync(ProcessIdentity process, TimeSpan grace)
    {
        using var pinned = PinnedProcessTree.Pin(process, withDescendants: false);
        if (pinned is null || await pinned.WaitAllExitedAsync(grace))
            return;
        pinned.Signal(Signals.SIGKILL);
        await pinned.WaitAllExitedAsync(TimeSpan.FromSeconds(5));
    }
}
