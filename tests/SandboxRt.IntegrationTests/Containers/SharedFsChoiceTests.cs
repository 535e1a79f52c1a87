using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>shared_fs is obeyed as written: 9p has another security model and is never chosen silently.</summary>
[Trait("Tier", "host")]
public sealed class SharedFsChoiceTests
{
    [Fact]
    public async Task Virtio_fs_without_virtiofsd_is_a_clear_error_not_a_silent_fall_back_to_9p()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle(s => s.Process!.Args = ["true"]);
        var id = "fs-" + Guid.NewGuid().ToString("N")[..8];
        var run = await CliRun.RunAsync(["--config-option", "shared_fs=virtio-fs", "--config-option", "virtiofsd_path=/nonexistent/virtiofsd",
            "run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"exit {run.ExitCode}\nstdout: {run.Stdout}\nstderr: {run.Stderr}");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("shared_fs: virtio-fs needs virtiofsd, but virtiofsd_path /nonexistent/virtiofsd does not exist", run.Stderr);
        Assert.Empty(ProcessTable.Find("sandboxrt-" + id));
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
