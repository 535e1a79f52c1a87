using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// virtio_fs_cache (Kata's virtio_fs_cache) reaches the sandbox's virtiofsd as its cache mode, and a
/// container runs and execs from its root file system in that mode; the default stays auto.
/// </summary>
[Trait("Tier", "vm")]
public sealed class VirtioFsCacheTests
{
    [Theory]
    [InlineData(null, "cache=auto")]
    [InlineData("always", "cache=always")]
    [InlineData("never", "cache=none")]
    public async Task The_sandboxes_virtiofsd_runs_with_the_configured_cache_mode(string? mode, string option)
    {
        TestEnvironment.RequireVmPrerequisites();
        CliRun.RequireBinary();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "600"]);
        var id = "vfc-" + Guid.NewGuid().ToString("N")[..8];
        string[] options = mode is null ? [] : ["--config-option", $"virtio_fs_cache={mode}"];
        try
        {
            var create = await CliRun.RunLeavingRelayAsync([.. options, "create", "--bundle", bundle.Directory, id], state.Path);
            Assert.True(create.ExitCode == 0, $"create: {create.Stderr}");
            var start = await CliRun.RunAsync(["start", id], root: state.Path);
            Assert.True(start.ExitCode == 0, $"start: {start.Stderr}");

            var virtiofsd = ProcessTable.Find($"/{id}/shared");
            Assert.NotEmpty(virtiofsd);
            foreach (var pid in virtiofsd)
            {
                var argv = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
                Assert.Contains(option, argv);
            }
            var exec = await CliRun.RunAsync(["exec", id, "sh", "-c", "cat /bin/sh >/dev/null && echo read twice && cat /bin/sh >/dev/null"], root: state.Path);
            Assert.True(exec.ExitCode == 0, $"exec: exit {exec.ExitCode}: {exec.Stderr}");
            Assert.Equal("read twice", exec.Stdout.Trim());
        }
        finally
        {
            await CliRun.RunAsync(["delete", "--force", id], root: state.Path);
        }
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
