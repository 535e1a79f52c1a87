using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>Waiting, from another CLI call, for a container's relay to end (its exit is the container's).</summary>
internal static class RelayExit
{
    /// <summary>
    /// Completes when <paramref name="relay"/> has exited, or after <paramref name="bound"/>; true when it
    /// exited (or was gone already: its pid is another process's, or nobody's).
    /// </summary>
    public static async Task<bool> WaitAsync(ProcessIdentity? relay, TimeSpan bound)
    {
        if (relay is null || SandboxRt.Interop.PidFd.TryOpen(relay.Pid) is not { } pidfd)
            return true;
        using (pidfd)
        {
            if (!relay.IsAlive)
                return true; // gone, or its pid is another process's now: the descriptor is not the relay's
            var exited = pidfd.WaitExitedAsync();
            return await Task.WhenAny(exited, Task.Delay(bound)) == exited;
        }
    }
}
