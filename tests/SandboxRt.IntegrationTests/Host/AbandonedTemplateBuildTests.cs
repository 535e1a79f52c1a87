using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// A relay killed while it builds a VM template leaves that template VM running, with nobody to stop
/// it (it belongs to no sandbox's state). The next launch with templates on finds the build abandoned
/// (its key's lock is free), stops its QEMU by the identity the builder recorded and removes the build.
/// The "QEMU" is a script that starts and never answers, so no VM is needed.
/// </summary>
[Trait("Tier", "host")]
public sealed class AbandonedTemplateBuildTests
{
    [Fact]
    public async Task The_next_launch_stops_the_template_vm_a_killed_builder_left_and_removes_its_build()
    {
        TestEnvironment.RequireRoot();
        CliRun.RequireBinary();
        using var scratch = new ScratchDirectory("srt-abandon");
        var state = scratch.Combine("state");
        var templates = scratch.Combine("templates");
        var qemu = scratch.Combine("hanging-qemu");
        File.WriteAllText(qemu, "#!/bin/sh\nwhile :; do sleep 1; done\n");
        File.SetUnixFileMode(qemu, (UnixFileMode)0b111_101_101);
        using var bundle = new TestBundle();
        string[] config = [CliRun.Binary, "--root", state, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"path={qemu}", "--config-option", $"kernel={qemu}", "--config-option", $"initrd={qemu}",
            "--config-option", "shared_fs=none", "--config-option", "jail=false", "--config-option", "boot_timeout_seconds=2",
            "--config-option", "qemu.vm_template=true", "--config-option", $"qemu.template_directory={templates}"]; // whatever the shipped default
        try
        {
            var id = "abandon-" + Guid.NewGuid().ToString("N")[..8];
            using var create = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", .. config, "create", "--bundle", bundle.Directory, id]))!;
            int builder;
            try
            {
                // the template VM: its command line names the template directory, not the sandbox's state
                await Condition.WaitAsync(() => ProcessTable.Find("/bin/sh " + qemu).Count > 0 || create.HasExited, "the relay to start the template's (hanging) QEMU");
                builder = Assert.Single(ProcessTable.FindTopmost("/bin/sh " + qemu)); // not the loop's child between its fork and exec
                Assert.Contains(templates, File.ReadAllText($"/proc/{builder}/cmdline"));
                HostLeaks.KillEverythingUnder(state); // the relay and create: the builder dies mid-build
                await create.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.True(Directory.Exists($"/proc/{builder}"), "the template VM outlived its builder");
                Assert.Single(Directory.GetDirectories(templates, "*.build-*"));
            }
            finally
            {
                if (!create.HasExited)
                    create.Kill();
            }

            // `template create` is a launch like any other: it sweeps first, then tries its own build (which
            // fails: this QEMU never serves) and stops that VM itself.
            var next = await Command.RunAsync(config[0], [.. config.Skip(1), "template", "create"], timeout: TimeSpan.FromMinutes(2));
            TestContext.Current.TestOutputHelper?.WriteLine($"exit {next.ExitCode}\n{next.Stderr}");
            Assert.NotEqual(0, next.ExitCode);
            Assert.Contains("did not serve within 2 s", next.Stderr);
            await Condition.WaitAsync(() => !Directory.Exists($"/proc/{builder}"), "the abandoned template VM to be stopped"); // reaped by init: its parent is gone
            Assert.Empty(Directory.GetDirectories(templates, "*.build-*"));
            Assert.Empty(ProcessTable.Find("/bin/sh " + qemu));
        }
        finally
        {
            HostLeaks.KillEverythingUnder(scratch.Path); // a failed assertion above must not leave the template VM running
        }
    }
}
