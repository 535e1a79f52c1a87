using System.Diagnostics;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Sandboxes;
using Xunit;

namespace SandboxRt.UnitTests.Sandboxes;

public sealed class BootBreakdownTests
{
    [Fact]
    public void The_init_entry_is_the_timestamp_of_the_kernels_run_init_line()
    {
        using var dir = new TempDirectory();
        var log = dir.File("console.log", "[    0.000000] Linux version 6.1\n[    1.583210] Freeing unused kernel image\n[    1.601512] Run /init as init process\n[  2.1] agent\n");
        Assert.Equal(1601.512, BootBreakdown.InitEntry(log)!.Value.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("[ -5.000000] Run /init as init process\n")]
    [InlineData("[ 99999.000000] Run /init as init process\n")]
    [InlineData("[ garbage] Run /init as init process\n")]
    [InlineData("no timestamp here] Run /init as init process\n")]
    [InlineData("[    1.000000] something else\n")]
    public void A_console_without_a_believable_init_line_gives_no_point(string console)
    {
        using var dir = new TempDirectory();
        var log = dir.File("console.log", console);
        Assert.Null(BootBreakdown.InitEntry(log));
    }

    [Fact]
    public void An_init_line_beyond_the_bounded_head_of_a_flooded_console_is_not_read()
    {
        using var dir = new TempDirectory();
        var log = dir.File("console.log", new string('x', 300 * 1024) + "\n[    1.000000] Run /init as init process\n");
        Assert.Null(BootBreakdown.InitEntry(log));
        Assert.Null(BootBreakdown.InitEntry(Path.Combine(dir.Path, "missing.log")));
    }

    [Fact]
    public void Timings_list_points_measured_elsewhere_in_time_order()
    {
        var timings = new RunTimings();
        var early = Stopwatch.GetTimestamp();
        Thread.Sleep(5);
        timings.Mark("host step");
        timings.MarkAt("guest phase", early);
        Assert.Equal(["guest phase", "host step"], timings.Marks.Select(m => m.Name));
        var output = new StringWriter();
        timings.Write(output);
        Assert.Matches(@"^\s+[0-9.]+\s+\+\s*[0-9.]+\s+guest phase$", output.ToString().Split('\n')[1].TrimEnd());
    }
}
