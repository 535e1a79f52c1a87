using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.HostileGuest;

/// <summary>
/// A guest that floods its serial console (a privileged container writing to /dev/ttyS0, standing for a
/// guest kernel or agent that prints forever) costs the host at most console_log_max_bytes (1 MiB by
/// default: console.log plus console.log.1), and the newest line is kept. Before the console went
/// through the relay into a bounded log, QEMU wrote every byte into console.log on the host's /run.
/// The flood is 4 MiB: the emulated UART carries about 65 KB/s under TCG here (8 MiB took 126 s).
/// </summary>
[Trait("Tier", "hostile")]
public sealed class HostileConsoleTests
{
    private const long DefaultLimit = 1024 * 1024;
    private const int FloodBytes = 4 * 1024 * 1024;

    [Fact]
    public async Task A_console_flood_stays_within_the_configured_bytes_and_the_newest_line_survives()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        var id = "flood-" + Guid.NewGuid().ToString("N")[..8];
        var newest = "NEWEST-" + Guid.NewGuid().ToString("N");
        using var bundle = new TestBundle(s =>
        {
            s.Process!.Args = ["sh", "-c",
                $"busybox yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c {FloodBytes} > /dev/ttyS0; echo {newest} > /dev/ttyS0; sleep 3600"];
            // the guest's first serial port, as a privileged container would have it
            s.Linux!.Devices = [.. s.Linux.Devices ?? [], new LinuxDevice { Path = "/dev/ttyS0", Type = "c", Major = 4, Minor = 64, FileMode = 438, Uid = 0, Gid = 0 }];
            s.Linux.Resources ??= new LinuxResources();
            s.Linux.Resources.Devices = [.. s.Linux.Resources.Devices ?? [], new LinuxDeviceCgroup { Allow = true, Type = "c", Major = 4, Minor = 64, Access = "rwm" }];
        });
        var console = Path.Combine(state.Path, id, "console.log");
        try
        {
            var create = await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, create.Stderr);
            Assert.Equal(0, (await CliRun.RunAsync(["start", id], root: state.Path)).ExitCode);

            // The newest line is the event: the flood before it has passed through the console.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
            while (!SandboxRt.Runtime.Diagnostics.LogTail.Read(console, 5).Any(l => l.Contains(newest)))
            {
                Assert.True(DateTime.UtcNow < deadline, $"{newest} never reached {console}");
                Assert.True(Size(console) + Size(console + ".1") <= DefaultLimit, $"the console takes {Size(console) + Size(console + ".1")} bytes on the host");
                await Task.Delay(500);
            }
            long total = Size(console) + Size(console + ".1");
            Assert.True(total <= DefaultLimit, $"console.log and console.log.1 take {total} bytes, more than {DefaultLimit}");
            Assert.True(File.Exists(console + ".1"), "the flood should have rotated the log");
            Assert.Contains(newest, File.ReadAllText(console));
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        await HostLeaks.AssertGoneAsync(id, state.Path);
    }

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
