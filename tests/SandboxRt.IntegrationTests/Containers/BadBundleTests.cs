using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>Hostile or broken bundles: a clear error naming the field, quickly, and nothing created or left behind.</summary>
[Trait("Tier", "vm")]
public sealed class BadBundleTests
{
    private static async Task<CliRun> AssertRefusedAsync(TestBundle bundle, string expectedField)
    {
        using var state = new ScratchDirectory("srt-state");
        var id = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stderr);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expectedField, run.Stderr);
        Assert.DoesNotContain("Unhandled exception", run.Stderr);
        Assert.True(run.ExitCode is 1 or 2, $"exit status {run.ExitCode}: an abort (134) or a signal is a crash, not a refusal");
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(10), $"refusing took {run.Elapsed}: it should not boot a VM");
        LeakCheck.AssertNothingLeft(state.Path, id);
        Assert.Empty(Directory.EnumerateFileSystemEntries(state.Path));
        return run;
    }

    [Fact]
    public async Task An_unknown_namespace_type_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "foo" }));
        await AssertRefusedAsync(bundle, "linux.namespaces[6].type: unknown namespace type");
    }

    [Fact]
    public async Task A_mount_destination_with_dotdot_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Mounts!.Add(new Mount { Destination = "/../../etc", Type = "tmpfs", Source = "tmpfs" }));
        await AssertRefusedAsync(bundle, "mounts[7].destination");
    }

    [Fact]
    public async Task A_mount_destination_escaping_through_a_symlink_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Mounts!.Add(new Mount { Destination = "/escape/inner", Type = "tmpfs", Source = "tmpfs" }));
        File.CreateSymbolicLink(Path.Combine(bundle.Rootfs, "escape"), "../../../../tmp");
        await AssertRefusedAsync(bundle, "mounts[7].destination: the symbolic link /escape -> ../../../../tmp points outside the root file system");
    }

    [Fact]
    public async Task An_unknown_capability_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Process!.Capabilities!.Bounding!.Add("CAP_WEB_SCALE"));
        await AssertRefusedAsync(bundle, "process.capabilities.bounding[3]: unknown capability");
    }

    [Fact]
    public async Task Missing_process_args_are_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Process!.Args = null);
        await AssertRefusedAsync(bundle, "process.args");
    }

    [Fact]
    public async Task Broken_json_names_the_line()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle();
        File.WriteAllText(Path.Combine(bundle.Directory, "config.json"), "{\n  \"ociVersion\": \"1.2.0\",\n  \"process\": { \"args\": [ }\n}");
        await AssertRefusedAsync(bundle, "not valid JSON at line 3");
    }

    [Theory]
    [InlineData("{\"root\": null}", "root.path: is required")]
    [InlineData("{}", "root.path: is required")]
    [InlineData("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}", "root.path: is required")]
    [InlineData("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": null}", "process: is required")]
    [InlineData("{\"root\": {\"path\": \"rootfs\"}, \"process\": {\"args\": [null], \"cwd\": \"/\"}}", "process.args[0]: must not be null")]
    public async Task A_config_with_a_missing_or_null_field_is_refused_naming_it(string json, string expected)
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle();
        File.WriteAllText(Path.Combine(bundle.Directory, "config.json"), json);
        await AssertRefusedAsync(bundle, expected);
    }

    [Theory]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("/dev/urandom", "is a character device, not a regular file")]
    [InlineData("fifo", "is a FIFO, not a regular file")]
    public async Task A_config_json_that_is_a_device_or_fifo_is_refused_without_reading_or_blocking(string target, string expected)
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle();
        var config = Path.Combine(bundle.Directory, "config.json");
        File.Delete(config);
        if (target == "fifo")
        {
            target = Path.Combine(bundle.Directory, "fifo");
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [target]);
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
        File.CreateSymbolicLink(config, target);
        await AssertRefusedAsync(bundle, expected);
    }

    [Fact]
    public async Task A_config_json_linked_to_another_file_never_has_that_file_printed()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle();
        var secret = bundle.WriteFile("secret", "SECRET-hunter2\n");
        var config = Path.Combine(bundle.Directory, "config.json");
        File.Delete(config);
        File.CreateSymbolicLink(config, secret);
        var run = await AssertRefusedAsync(bundle, "not valid JSON at line 1, column 1");
        Assert.DoesNotContain("hunter2", run.Stderr);
        Assert.DoesNotContain("SECRET", run.Stderr);
        Assert.DoesNotContain("'S'", run.Stderr);
    }

    [Theory]
    [InlineData("args")]
    [InlineData("env")]
    public async Task A_NUL_byte_in_the_process_is_refused_as_runc_refuses_it(string field)
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s =>
        {
            if (field == "args")
                s.Process!.Args = ["sh", "-c", "echo a\0b"];
            else
                s.Process!.Env = ["A=a\0b"];
        });
        await AssertRefusedAsync(bundle, $"process.{field}[{(field == "args" ? 2 : 0)}]: contains a NUL byte");
    }

    [Fact]
    public async Task A_comment_in_config_json_is_refused_as_runc_refuses_it()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle();
        var config = Path.Combine(bundle.Directory, "config.json");
        File.WriteAllText(config, "// made by hand\n" + File.ReadAllText(config));
        await AssertRefusedAsync(bundle, "not valid JSON at line 1");
    }
}
