using System.Diagnostics;
using System.Security.Cryptography;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// A container's stdin as one client stream to the agent (StreamStdin, issue 18), through the real CLI
/// and a real VM: several MiB checked by the guest's own sha256sum and wc, through `run` and through
/// `exec`, and a container that does not read yet holding the host's writer back instead of the host
/// buffering what it is given.
/// </summary>
[Trait("Tier", "vm")]
public sealed class StdinStreamTests
{
    private static string NewId() => "stdin-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Stdin_piped_into_run_reaches_the_guests_sha256sum_byte_exact()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sha256sum"]);
        var data = RandomBytes(24 << 20, seed: 18);
        var id = NewId();
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], new MemoryStream(data), root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode} after {run.Elapsed.TotalSeconds:F1} s (VM boot included); stderr: {run.Stderr}");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "  -", run.Stdout.Trim());
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task Stdin_of_exec_reaches_wc_and_sha256sum_in_a_running_container()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "3600"]);
        var id = NewId();
        try
        {
            Assert.Equal(0, (await CliRun.RunLeavingRelayAsync(["create", "--bundle", bundle.Directory, id], state.Path)).ExitCode);
            Assert.Equal(0, (await CliRun.RunAsync(["start", id], root: state.Path)).ExitCode);
            var data = RandomBytes(8 << 20, seed: 19);
            var wc = await CliRun.RunAsync(["exec", id, "wc", "-c"], new MemoryStream(data), root: state.Path);
            Assert.True(wc.ExitCode == 0, wc.Stderr);
            Assert.Equal(data.Length.ToString(), wc.Stdout.Trim());
            var sha = await CliRun.RunAsync(["exec", id, "sha256sum"], new MemoryStream(data), root: state.Path);
            Assert.True(sha.ExitCode == 0, sha.Stderr);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "  -", sha.Stdout.Trim());
            // no input at all: the stream still names the process, and EOF still arrives
            var empty = await CliRun.RunAsync(["exec", id, "wc", "-c"], new MemoryStream(), root: state.Path);
            Assert.Equal("0", empty.Stdout.Trim());
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    [Fact]
    public async Task A_container_that_does_not_read_holds_the_hosts_writer_back()
    {
        TestEnvironment.RequireVmPrerequisites();
        const int total = 64 << 20;
        // what may be in flight while nobody reads: the host's pipe, the relay's read buffer, one message,
        // the HTTP/2 windows (2 MiB a stream, per hop), the agent's queue (4 chunks) and the guest's pipe;
        // far below the 64 MiB offered
        const long bound = 16 << 20;
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "while [ ! -e /go ]; do sleep 1; done; exec sha256sum"]);
        var data = RandomBytes(total, seed: 20);
        var id = NewId();
        long accepted = 0;
        try
        {
            using var run = Process.Start(new ProcessStartInfo(CliRun.Binary, [
                "--root", state.Path, "--config", TestEnvironment.QemuConfig,
                "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}",
                "run", "--bundle", bundle.Directory, id])
            { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stdout = run.StandardOutput.ReadToEndAsync();
            var stderr = run.StandardError.ReadToEndAsync();
            var writer = Task.Run(async () =>
            {
                var input = run.StandardInput.BaseStream;
                for (int offset = 0; offset < total; offset += 64 * 1024)
                {
                    await input.WriteAsync(data.AsMemory(offset, 64 * 1024));
                    Interlocked.Add(ref accepted, 64 * 1024);
                }
                run.StandardInput.Close();
            });
            // data flows into the guest (the container is up and its stdin stream is open) ...
            await Condition.WaitAsync(() => Interlocked.Read(ref accepted) >= 1 << 20, "the first MiB of stdin to leave the host", TimeSpan.FromMinutes(3));
            // ... and then stops: two round trips through the guest later, the host has taken no more than
            // the pipeline holds (an unbounded host buffer would have swallowed all 64 MiB by now)
            Assert.Equal(0, (await CliRun.RunAsync(["exec", id, "true"], root: state.Path)).ExitCode);
            Assert.Equal(0, (await CliRun.RunAsync(["exec", id, "true"], root: state.Path)).ExitCode);
            long held = Interlocked.Read(ref accepted);
            TestContext.Current.TestOutputHelper?.WriteLine($"accepted from the writer while the container did not read: {held >> 10} KiB of {total >> 20} MiB");
            Assert.True(held <= bound, $"the host took {held} bytes of stdin while the container read nothing (bound {bound})");
            Assert.False(writer.IsCompleted, "the writer finished although the container read nothing");

            File.WriteAllText(Path.Combine(bundle.Rootfs, "go"), ""); // the container starts reading
            await writer.WaitAsync(TimeSpan.FromMinutes(5));
            await run.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, $"sandboxrt run: exit {run.ExitCode}: {await stderr}");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)) + "  -", (await stdout).Trim());
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }
}
