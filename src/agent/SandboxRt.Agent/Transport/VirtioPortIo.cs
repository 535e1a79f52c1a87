using SandboxRt.Interop;

namespace SandboxRt.Agent.Transport;

/// <summary>
/// Reads and writes on a virtio-serial port opened O_NONBLOCK, waiting in poll(2). A blocking write to a
/// port whose host has detached does not fail: Linux's virtio_console waits until a host attaches again
/// (will_write_block is true while the host is not connected). A write Kestrel made as the host left (a
/// frame after the last response) then held the session, its port and the listener for good, and the
/// next host found the guest deaf (a template builder waited 60 s for the agent to see it go). Here such
/// a write fails once poll reports POLLHUP without POLLOUT, and the session ends as a detach does.
/// </summary>
internal static class VirtioPortIo
{
    /// <summary>Waits for data; the bytes read, or 0 once the host has detached (POLLHUP, and read returns 0).</summary>
    public static int Read(SafeFdHandle fd, Span<byte> buffer, string devicePath)
    {
        while (true)
        {
            int n = FileDescriptors.TryRead(fd, buffer, devicePath);
            if (n >= 0)
                return n;
            Poller.Poll(fd, PollEvents.In, -1); // data, or the host gone (POLLHUP)
        }
    }

    /// <summary>Writes all of <paramref name="data"/>; an IOException when the host detaches before it is written.</summary>
    public static void Write(SafeFdHandle fd, ReadOnlySpan<byte> data, string devicePath)
    {
        while (!data.IsEmpty)
        {
            int n = FileDescriptors.TryWrite(fd, data, devicePath);
            if (n > 0)
            {
                data = data[n..];
                continue;
            }
            var ready = Poller.Poll(fd, PollEvents.Out, -1);
            if ((ready & PollEvents.Out) == 0 && (ready & (PollEvents.Hup | PollEvents.Err)) != 0)
                throw new IOException($"{devicePath}: the host detached with {data.Length} bytes unwritten");
        }
    }
}
