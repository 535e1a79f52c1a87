using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Configuration;

/// <summary>
/// A Kata configuration.toml (Kata's comments, keys that mean nothing here) runs a container through the
/// CLI with Kata's meanings (default_memory in MiB, kernel_params appended), its unknown keys named in
/// warnings with their lines; a bad value fails before any VM starts, naming the file, line and key.
/// </summary>
[Trait("Tier", "vm")]
public sealed class KataConfigurationRunTests
{
    [Fact]
    public async Task A_kata_configuration_toml_runs_a_container_with_its_sizes_and_names_what_it_ignores()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-state");
        using var dir = new ScratchDirectory("srt-kata");
        var toml = dir.Combine("configuration.toml");
        File.WriteAllText(toml, $"""
            # Copyright (c) 2017-2019 Intel Corporation (a Kata-style file: comments, tables, keys we do not use)
            [hypervisor.qemu]
            path = "{TestEnvironment.Qemu}"
            kernel = "{TestEnvironment.Kernel}"
            initrd = "{TestEnvironment.Initrd}"
            machine_type = "q35"
            default_memory = 700
            kernel_params = "sandboxrt_kata_probe=1"
            block_device_driver = "virtio-scsi"

            [factory]
            enable_template = false

            [runtime]
            internetworking_model = "tcfilter"
            """);
        using var bundle = new TestBundle(s => s.Process!.Args = ["sh", "-c", "grep MemTotal /proc/meminfo; cat /proc/cmdline"]);
        var run = await Command.RunAsync(CliRun.Binary, ["--root", state.Path, "--config", toml, "run", "--bundle", bundle.Directory, "kata-" + Guid.NewGuid().ToString("N")[..8]],
            timeout: TimeSpan.FromMinutes(3));
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + run.Stderr);
        Assert.Equal(0, run.ExitCode);
        long memTotalKiB = long.Parse(run.Stdout.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.InRange(memTotalKiB / 1024, 600, 700); // 700 MiB less the kernel's own
        Assert.Contains("sandboxrt_kata_probe=1", run.Stdout);
        Assert.Contains($"{toml}:9: [hypervisor.qemu] block_device_driver is not supported by SandboxRt; ignored", run.Stderr);
        Assert.DoesNotContain("enable_template", run.Stderr); // Kata's VM factory switch is ours (qemu.vm_template): understood, no warning

        File.WriteAllText(toml, "[hypervisor.qemu]\ndefault_vcpus = \"two\"\n");
        var bad = await Command.RunAsync(CliRun.Binary, ["--root", state.Path, "--config", toml, "run", "--bundle", bundle.Directory, "kata-bad"]);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains($"{toml}:2: [hypervisor.qemu] default_vcpus: expected an integer, got a string", bad.Stderr);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(state.Path), e => !e.EndsWith(".lock", StringComparison.Ordinal));
    }
}
