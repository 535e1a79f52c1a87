using SandboxRt.Interop;
using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.UnitTests.Diagnostics;

/// <summary>A child's output pipe (QEMU's, virtiofsd's) into a bounded log.</summary>
[Trait("Tier", "unit")]
public sealed class LogPumpTests
{
    [Fact]
    public async Task A_childs_flood_through_the_pipe_stays_within_the_limit_and_its_last_line_arrives()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "virtiofsd.log");
        const long Limit = 64 * 1024;
        var (childEnd, pumped) = LogPump.StartPipe(path, Limit, "test output");
        using (childEnd)
        {
            // 4 MiB in lines shorter than PIPE_BUF (each written whole or not at all)
            var line = "a request the guest made virtiofsd log\n"u8.ToArray();
            for (int i = 0; i < 4 * 1024 * 1024 / line.Length; i++)
                WriteAll(childEnd, line);
            WriteAll(childEnd, "the last line\n"u8.ToArray());
        }
        await pumped.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(new FileInfo(path).Length + new FileInfo(path + ".1").Length <= Limit);
        Assert.Equal("the last line", LogTail.Read(path, 1)[0]);
    }

    private static void WriteAll(SafeFdHandle fd, byte[] bytes)
    {
        while (true)
        {
            try
            {
                FileDescriptors.Write(fd, bytes, "pipe");
                return;
            }
            catch (SyscallException e) when (e.Errno == Errno.EAGAIN)
            {
                Thread.Yield(); // the pipe is full until the pump drains it (a child's line would be dropped)
            }
        }
    }
}
