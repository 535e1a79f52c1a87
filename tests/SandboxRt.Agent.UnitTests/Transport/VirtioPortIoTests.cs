using SandboxRt.Agent.Transport;
using SandboxRt.Interop;

namespace SandboxRt.Agent.UnitTests.Transport;

/// <summary>
/// The non-blocking port I/O on a pipe (a virtio-serial port needs a VM: the VM tiers run it, every
/// template build's detach included): reads wait for data and see the end, writes larger than what the
/// other side holds wait in poll and complete, and a write with nobody left to read fails instead of waiting.
/// </summary>
[Trait("Tier", "unit")]
public sealed class VirtioPortIoTests
{
    [Fact]
    public async Task A_read_waits_for_data_and_then_for_the_end()
    {
        var (read, write) = Pipes.Create();
        using (read)
        {
            Descriptors.SetNonBlocking(read);
            var buffer = new byte[16];
            var first = Task.Run(() => VirtioPortIo.Read(read, buffer, "pipe"));
            using (write)
                FileDescriptors.Write(write, "hello"u8, "pipe");
            Assert.Equal(5, await first.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal("hello"u8.ToArray(), buffer[..5]);
            Assert.Equal(0, await Task.Run(() => VirtioPortIo.Read(read, buffer, "pipe")).WaitAsync(TimeSpan.FromSeconds(30))); // the writer is gone
        }
    }

    [Fact]
    public async Task A_write_bigger_than_the_other_side_holds_waits_and_delivers_every_byte()
    {
        var (read, write) = Pipes.Create();
        using (read)
        using (write)
        {
            Descriptors.SetNonBlocking(write);
            var data = new byte[1 << 20];
            Random.Shared.NextBytes(data);
            var writing = Task.Run(() => VirtioPortIo.Write(write, data, "pipe"));
            var received = new byte[data.Length];
            for (int got = 0; got < received.Length;)
                got += FileDescriptors.Read(read, received.AsSpan(got), "pipe");
            await writing.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(data, received);
        }
    }

    [Fact]
    public void A_write_with_nobody_left_to_read_fails_instead_of_waiting()
    {
        var (read, write) = Pipes.Create();
        read.Dispose();
        using (write)
        {
            Descriptors.SetNonBlocking(write);
            Assert.ThrowsAny<IOException>(() => VirtioPortIo.Write(write, new byte[1 << 20], "pipe"));
        }
    }
}
