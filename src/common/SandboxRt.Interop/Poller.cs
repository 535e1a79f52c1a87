using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>poll(2) on one descriptor.</summary>
public static class Poller
{
    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever) and returns the events that are ready.</summary>
    public static unsafe PollEvents Poll(SafeHandle handle, PollEvents events, int timeoutMs)
    {
        using var fd = new FdRef(handle);
        var pfd = new Interop.PollFd { Fd = fd.Fd, Events = (short)events };
        int result;
        do
            result = Interop.Poll(&pfd, 1, timeoutMs);
        while (Check.Interrupted(result));
        Check.Io(result, "poll");
        return (PollEvents)pfd.Revents;
    }
}
