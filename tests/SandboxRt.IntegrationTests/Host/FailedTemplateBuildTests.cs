using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// A template build that fails is not paid again by every launch: the failure is recorded, the next
/// launches of that key boot cold at once with a warning that quotes it, and the build is tried again
/// after the back-off (10 minutes) or at once by `sandboxrt template create`. The "QEMU" is a script that
/// records its command line and exits 1, so no VM is needed (every launch fails; what counts is which
/// launches tried a template build: those whose QEMU was given the template directory).
/// </summary>
[Trait("Tier", "host")]
public sealed class FailedTemplateBuildTests
{
    [Fact]
    public async Task Launches_after_a_failed_build_boot_cold_with_its_reason_until_the_back_off_ends_or_template_create()
    {
        TestEnvironment.RequireRoot();
        CliRun.RequireBinary();
        using var scratch = new ScratchDirectory("srt-failed-build");
        var state = scratch.Combine("state");
        var templates = scratch.Combine("templates");
        var calls = scratch.Combine("calls");
        var qemu = scratch.Combine("failing-qemu");
        File.WriteAllText(qemu, $"#!/bin/sh\necho \"$*\" >> '{calls}'\nexit 1\n");
        File.SetUnixFileMode(qemu, (UnixFileMode)0b111_101_101);
        using var bundle = new TestBundle();
        string[] config = ["--root", state, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"path={qemu}", "--config-option", $"kernel={qemu}", "--config-option", $"initrd={qemu}",
            "--config-option", "shared_fs=none", "--config-option", "jail=false", "--config-option", "boot_timeout_seconds=2",
            "--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates}"];
        int Builds() => File.Exists(calls) ? File.ReadLines(calls).Count(line => line.Contains(templates)) : 0;
        int Launches() => File.Exists(calls) ? File.ReadLines(calls).Count() : 0;
        async Task<string> CreateAsync(string id)
        {
            var log = scratch.Combine(id + ".log");
            var create = await Command.RunAsync(CliRun.Binary, ["--log", log, .. config, "create", "--bundle", bundle.Directory, id], timeout: TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, create.ExitCode); // this QEMU never runs a guest, cold or not
            return File.ReadAllText(log);
        }
        try
        {
            var first = await CreateAsync("fb1");
            Assert.Equal(1, Builds());
            Assert.Equal(2, Launches()); // the build, then the cold boot
            Assert.Contains("failed: the template VM stopped before its agent served", first);
            var record = Assert.Single(Directory.GetFiles(templates, "*.failed"));

            var second = await CreateAsync("fb2");
            Assert.Equal(1, Builds()); // not tried again
            Assert.Equal(3, Launches());
            Assert.Matches(@"level=warning msg=""sandbox fb2: booting cold, not from a VM template: building template [0-9a-f]{16} in .* failed \d+ s ago \(the template VM stopped before its agent served: QEMU \(pid \d+\) exited 1.*\); it is not tried again for 600 s after a failure", second);

            var explicitBuild = await Command.RunAsync(CliRun.Binary, [.. config, "template", "create"], timeout: TimeSpan.FromMinutes(2));
            Assert.NotEqual(0, explicitBuild.ExitCode);
            Assert.Equal(2, Builds()); // template create tries at once
            Assert.Contains("failed: the template VM stopped before its agent served", explicitBuild.Stderr);

            File.SetLastWriteTimeUtc(record, DateTime.UtcNow - TimeSpan.FromMinutes(11)); // the back-off has ended
            await CreateAsync("fb3");
            Assert.Equal(3, Builds());
            Assert.True(File.GetLastWriteTimeUtc(record) > DateTime.UtcNow - TimeSpan.FromMinutes(5), "the new failure is recorded");
            Assert.Empty(Directory.GetFiles(templates, "*.lock"));
        }
        finally
        {
            HostLeaks.KillEverythingUnder(scratch.Path);
        }
    }
}
