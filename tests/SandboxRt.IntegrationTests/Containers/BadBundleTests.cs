using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>Hostile or broken bundles: a clear error naming the field, quickly, and nothing created or left behind.</summary>
[Trait("Tier", "vm")]
public sealed class BadBundleTests
{
    private static async Task AssertRefusedAsync(TestBundle bundle, string expectedField)
    {
        using var state = new ScratchDirectory("srt-state");
        var id = "bad-" + Guid.NewGuid().ToString("N")[..8];
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stderr);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expectedField, run.Stderr);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(10), $"refusing took {run.Elapsed}: it should not boot a VM");
        LeakCheck.AssertNothingLeft(state.Path, id);
        Assert.Empty(Directory.EnumerateFileSystemEntries(state.Path));
    }

    [Fact]
    public async Task An_unknown_namespace_type_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "foo" }));
        await AssertRefusedAsync(bundle, "linux.namespaces[6].type: unknown namespace type 'foo'");
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
        await AssertRefusedAsync(bundle, "mounts[7].destination: /escape/inner: the symbolic link /escape -> ../../../../tmp points outside the root file system");
    }

    [Fact]
    public async Task An_unknown_capability_is_named()
    {
        TestEnvironment.RequireRoot();
        using var bundle = new TestBundle(s => s.Process!.Capabilities!.Bounding!.Add("CAP_WEB_SCALE"));
        await AssertRefusedAsync(bundle, "process.capabilities.bounding[3]: unknown capability 'CAP_WEB_SCALE'");
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
        await AssertRefusedAsync(bundle, "line 3");
    }
}
