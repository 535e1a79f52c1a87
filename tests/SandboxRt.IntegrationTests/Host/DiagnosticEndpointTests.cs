using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// A CLI, relay or shim killed with SIGKILL leaves nothing of .NET's diagnostics in the temporary
/// directory (dotnet-diagnostic-PID-*-socket, clr-debug-pipe-PID-*-in/out, which a JIT-started runtime
/// creates and removes only at a clean exit). The CLI (and so every relay) and the shim are NativeAOT
/// (src/shim/NativeAot.props), which has no diagnostic server: the tests also assert that the processes
/// are native (no CoreCLR mapped), since a JIT build in out/bin would bring the files back.
/// TMPDIR points at a scratch directory, which a JIT runtime would honour.
/// </summary>
[Trait("Tier", "host")]
public sealed class DiagnosticEndpointTests
{
    private static string[] Leftovers(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName)
            .Where(n => n!.StartsWith("clr-debug-pipe-") || n.StartsWith("dotnet-diagnostic-"))!];

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    [Fact]
    public async Task A_cli_and_relay_killed_mid_create_leave_no_diagnostic_pipes_or_sockets()
    {
        TestEnvironment.RequireRoot();
        CliRun.RequireBinary();
        using var scratch = new ScratchDirectory("srt-diag");
        var tmp = scratch.Combine("tmp");
        var state = scratch.Combine("state");
        Directory.CreateDirectory(tmp);
        // a "QEMU" that starts and never answers: create stays in its boot wait until we kill it (unjailed:
        // the jail exposes QEMU's ELF libraries, and this one is a script)
        var qemu = scratch.Combine("hanging-qemu");
        File.WriteAllText(qemu, "#!/bin/sh\nwhile :; do sleep 1; done\n");
        File.SetUnixFileMode(qemu, (UnixFileMode)0b111_101_101);
        using var bundle = new TestBundle();
        var id = "diag-" + Guid.NewGuid().ToString("N")[..8];
        string[] cli = [CliRun.Binary, "--root", state, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"path={qemu}", "--config-option", $"kernel={qemu}", "--config-option", $"initrd={qemu}",
            "--config-option", "shared_fs=none", "--config-option", "jail=false",
            // the killed relay is the point here; a builder killed mid-build is AbandonedTemplateBuildTests'
            "--config-option", "qemu.vm_template=false", "create", "--bundle", bundle.Directory, id];
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", .. cli]);
        start.Environment["TMPDIR"] = tmp;
        using var create = Process.Start(start)!;
        try
        {
            // the script's command line: "/bin/sh SCRIPT -machine ..." (create's own only names it after path=)
            await Condition.WaitAsync(() => ProcessTable.Find("/bin/sh " + qemu).Count > 0 || create.HasExited, "the relay to start its (hanging) QEMU");
            Assert.False(create.HasExited, "create ended before its relay started QEMU");
            var relay = RelayOf(id);
            Assert.NotNull(relay);
            AssertNative(relay.Value, "the relay");
            AssertNative(create.Id, "sandboxrt create");
            Assert.Empty(Leftovers(tmp));

            Assert.True(SandboxRt.Interop.ChildProcesses.Signal(relay.Value, 9));
            Assert.True(SandboxRt.Interop.ChildProcesses.Signal(create.Id, 9));
            await create.WaitForExitAsync(TestContext.Current.CancellationToken);
            await Condition.WaitAsync(() => !Alive(relay.Value), "the killed relay to be gone");
            Assert.Empty(Leftovers(tmp));

            // what a user does next: `delete --force` stops the VM the dead relay left and removes all of
            // it, its short socket directory under /run/sandboxrt/sock included (a test that only killed
            // the processes left one behind at every CI run)
            var delete = await CliRun.RunAsync(["--config-option", $"path={qemu}", "delete", "--force", id], root: state);
            Assert.True(delete.ExitCode == 0, delete.Stderr);
            await HostLeaks.AssertGoneAsync(id, state);
        }
        finally
        {
            if (!create.HasExited)
                create.Kill();
            HostLeaks.KillEverythingUnder(state);
        }
    }

    [Fact]
    public async Task A_shim_killed_while_it_starts_leaves_no_diagnostic_pipes_or_sockets()
    {
        TestEnvironment.RequireRoot();
        var shim = Path.Combine(TestEnvironment.RepoRoot, "out", "bin", "containerd-shim-sandboxrt-v2");
        TestEnvironment.RequireFile(shim, "the shim (make build)");
        using var scratch = new ScratchDirectory("srt-diag");
        var tmp = scratch.Combine("tmp");
        Directory.CreateDirectory(tmp);
        // `start` reads its runtime options from stdin: with stdin held open it waits there, alive
        var start = new ProcessStartInfo(shim, ["-namespace", "diag", "-address", scratch.Combine("no-containerd.sock"), "-id", "diag", "start"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = scratch.Path,
        };
        start.Environment["TMPDIR"] = tmp;
        using var process = Process.Start(start)!;
        try
        {
            await Condition.WaitAsync(() => ReadsStdin(process.Id) || process.HasExited, "the shim to wait on its stdin");
            if (process.HasExited)
                Assert.Fail("the shim's start ended early: " + process.StandardError.ReadToEnd());
            AssertNative(process.Id, "the shim's start");
            Assert.Empty(Leftovers(tmp));
            process.Kill();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Empty(Leftovers(tmp));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    /// <summary>A NativeAOT process maps no libcoreclr.so (a JIT-started .NET process always does).</summary>
    private static void AssertNative(int pid, string what)
    {
        var maps = File.ReadAllText($"/proc/{pid}/maps");
        Assert.False(maps.Contains("libcoreclr.so", StringComparison.Ordinal), $"{what} (pid {pid}) runs on CoreCLR's JIT: out/bin should hold NativeAOT binaries (make build)");
    }

    /// <summary>The relay of container <paramref name="id"/>: its real arguments are in its environment.</summary>
    private static int? RelayOf(string id)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Contains("SANDBOXRT_RELAY_ARGS=") && environ.Contains(id))
                    return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    /// <summary>
    /// True when a thread of the process is blocked in read(2) (x86_64: syscall 0) on its stdin, or on the
    /// duplicate of it that .NET's Console.OpenStandardInput reads from.
    /// </summary>
    private static bool ReadsStdin(int pid)
    {
        try
        {
            var stdin = new FileInfo($"/proc/{pid}/fd/0").LinkTarget;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var call = File.ReadAllText(Path.Combine(task, "syscall")).Split(' ');
                if (call[0] == "0" && new FileInfo($"/proc/{pid}/fd/{Convert.ToInt32(call[1], 16)}").LinkTarget == stdin)
                    return true;
            }
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
