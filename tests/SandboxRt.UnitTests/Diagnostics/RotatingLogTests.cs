using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.UnitTests.Diagnostics;

[Trait("Tier", "unit")]
public sealed class RotatingLogTests
{
    [Fact]
    public void A_flood_never_takes_more_than_the_limit_and_the_newest_lines_survive()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "console.log");
        const long Limit = 64 * 1024;
        using (var log = new RotatingLog(path, Limit))
        {
            for (int i = 0; i < 20_000; i++)
            {
                log.Write(System.Text.Encoding.ASCII.GetBytes($"line {i} of the flood\n"));
                Assert.True(Size(path) + Size(path + ".1") <= Limit);
            }
            log.Write("the newest line\n"u8);
        }
        Assert.True(Size(path) + Size(path + ".1") <= Limit);
        var tail = LogTail.Read(path, 3);
        Assert.Equal("the newest line", tail[^1]);
        Assert.Equal("line 19999 of the flood", tail[^2]);
    }

    [Fact]
    public void A_tail_longer_than_the_current_file_continues_from_the_previous_one()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "qemu.log");
        File.WriteAllText(path + ".1", "a\nb\nc\n");
        File.WriteAllText(path, "d\ne\n");
        Assert.Equal(["b", "c", "d", "e"], LogTail.Read(path, 4));
        Assert.Equal(["e"], LogTail.Read(path, 1));
        Assert.Equal(["c", "d", "e"], LogTail.Read(path, 20, maxBytes: 6)); // "c\nd\ne\n" fits; "b" would be cut
    }

    [Fact]
    public void One_chunk_larger_than_half_the_limit_keeps_its_end()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "console.log");
        var chunk = new byte[100 * 1024];
        chunk.AsSpan().Fill((byte)'x');
        chunk[^1] = (byte)'!';
        using (var log = new RotatingLog(path, 64 * 1024))
            log.Write(chunk);
        Assert.Equal(32 * 1024, Size(path));
        Assert.EndsWith("!", File.ReadAllText(path));
    }

    [Fact]
    public void A_limit_below_the_minimum_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RotatingLog("/tmp/never", 1000));

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
