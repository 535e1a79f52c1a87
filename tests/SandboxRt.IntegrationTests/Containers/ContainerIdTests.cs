using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// Every verb of the real CLI refuses an id that is not a runc id before it touches anything: with
/// "../x", `delete --force` used to load a state.json planted outside --root, delete its directory and
/// run the poststop hooks of the bundle it named.
/// </summary>
[Trait("Tier", "host")]
public sealed class ContainerIdTests
{
    public static TheoryData<string[]> Verbs => new()
    {
        new[] { "state" }, new[] { "start" }, new[] { "kill" }, new[] { "kill", "--all" }, new[] { "pause" }, new[] { "resume" },
        new[] { "delete" }, new[] { "delete", "--force" }, new[] { "ps" }, new[] { "ps", "--format", "json" }, new[] { "events", "--stats" },
        new[] { "exec" }, new[] { "update" }, new[] { "create", "--bundle", "/nonexistent" },
    };

    [Theory]
    [MemberData(nameof(Verbs))]
    public async Task A_path_as_id_is_refused_and_nothing_outside_the_root_is_touched(string[] verb)
    {
        TestEnvironment.RequireRoot();
        using var dir = new ScratchDirectory("srt-id");
        var root = dir.Combine("root");
        Directory.CreateDirectory(root);

        // A container "planted" beside --root: its state.json names a bundle whose poststop hook leaves a mark.
        var marker = dir.Combine("hook-ran");
        var bundle = dir.Combine("bundle");
        Directory.CreateDirectory(Path.Combine(bundle, "rootfs"));
        File.WriteAllText(Path.Combine(bundle, "config.json"), $$$"""
            {"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/bin/true"],"cwd":"/"},
             "hooks":{"poststop":[{"path":"/bin/sh","args":["sh","-c","touch {{{marker}}}"]}]}}
            """);
        var planted = dir.Combine("x");
        Directory.CreateDirectory(planted);
        File.WriteAllText(Path.Combine(planted, "state.json"), $$"""{"id":"../x","bundle":"{{bundle}}","status":"Stopped"}""");

        var args = verb.Append("../x").ToList();
        if (verb[0] == "exec")
            args.Add("/bin/true");
        if (verb[0] == "update")
            args.InsertRange(1, ["--memory", "100000000"]);
        var run = await CliRun.RunAsync(args, root: root);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("invalid container ID format", run.Stderr);
        Assert.False(File.Exists(marker), "a hook of the planted container ran");
        Assert.True(File.Exists(Path.Combine(planted, "state.json")), "the planted container's directory was touched");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(dir.Path), n => n.EndsWith(".lock"));
    }
}
