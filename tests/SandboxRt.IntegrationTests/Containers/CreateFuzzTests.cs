using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.UnitTests.Oci;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// Mutated real configs through the real CLI's `create`, with a hypervisor config whose QEMU is
/// /bin/false: a config that passes validation goes through the whole create path (state, lock, relay,
/// shared directory and its mounts, virtiofsd, QEMU) and its clean-up when the VM cannot start. Each
/// input must end, within a bound, with an error on stderr (or succeed), never an unhandled exception or a
/// signal, and leave nothing: no state directory or lock file under --root, no process, no mount, no
/// socket directory, no /run/virtiofsd file. SANDBOXRT_FUZZ_SEED and SANDBOXRT_CLI_FUZZ_COUNT reproduce
/// or widen a run.
/// Two things are pinned for the host's sake, not fuzzed: root.path stays the bundle's rootfs and every
/// bind-mount source stays inside the bundle (the relay bind-mounts them on the host), and hooks are
/// dropped (they run host programs). Their parsing is fuzzed in the unit tier.
/// </summary>
[Trait("Tier", "host")]
public sealed partial class CreateFuzzTests
{
    private static readonly TimeSpan PerInputBound = TimeSpan.FromSeconds(90);

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [Fact]
    public async Task Hundreds_of_mutated_real_configs_through_create_fail_cleanly_or_succeed()
    {
        TestEnvironment.RequireRoot();
        CliRun.RequireBinary();
        int seed = int.TryParse(Environment.GetEnvironmentVariable("SANDBOXRT_FUZZ_SEED"), out var s) ? s : 20261203;
        int count = int.TryParse(Environment.GetEnvironmentVariable("SANDBOXRT_CLI_FUZZ_COUNT"), out var c) ? c : 300;
        var seeds = ConfigMutator.Seeds(Path.Combine(TestEnvironment.RepoRoot, "tests", "SandboxRt.UnitTests", "Fixtures", "oci-configs"))
            .Select(x => (x.Name, Json: Runnable(x.Json))).ToList();
        var mutator = new ConfigMutator(seed);
        using var scratch = new ScratchDirectory("srt-fuzz");
        using var bundle = new TestBundle();
        var bindSource = bundle.WriteFile("bind-source", "from the host\n");
        var state = scratch.Combine("state");
        var outcomes = new SortedDictionary<string, int>();
        var failures = new List<string>();
        var watch = Stopwatch.StartNew();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var (name, json) = seeds[i % 10 == 0 ? i / 10 % seeds.Count : i % seeds.Count];
                // every tenth input is a seed as it is: those must reach QEMU
                var input = i % 10 == 0 ? Encoding.UTF8.GetBytes(json) : mutator.Mutate(json, tree => PinHostPaths(tree, bindSource));
                var what = $"input {i} (seed {seed}, from {name}: {(i % 10 == 0 ? "unmutated" : string.Join(", ", mutator.Applied))})";
                File.WriteAllBytes(Path.Combine(bundle.Directory, "config.json"), input);
                var id = $"fuzz-{i}";
                var (outcome, problem) = await CreateOnceAsync(bundle.Directory, state, scratch.Path, id);
                problem ??= await LeftoversAsync(state, id);
                if (problem is not null)
                {
                    failures.Add($"{what}: {problem}");
                    HostLeaks.KillEverythingUnder(state); // the next input starts clean
                    if (Directory.Exists(state))
                        foreach (var entry in Directory.EnumerateFileSystemEntries(state))
                            if (File.Exists(entry))
                                File.Delete(entry);
                }
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }
        finally
        {
            HostLeaks.KillEverythingUnder(state);
        }
        var report = $"{outcomes.Values.Sum()} creates (seed {seed}) in {watch.Elapsed.TotalSeconds:F0} s:\n" + string.Join("\n", outcomes.Select(o => $"  {o.Value,5}  {o.Key}"));
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(failures.Count == 0, $"{failures.Count} inputs failed:\n{string.Join("\n", failures.Take(20))}\n{report}");
        Assert.True(outcomes.Where(o => o.Key.StartsWith("failed at boot")).Sum(o => o.Value) >= count / 10,
            "too few inputs reached QEMU: the create path and its clean-up were not exercised\n" + report);
    }

    /// <summary>One `create`: its outcome for the report, and what was wrong with how it ended (null: nothing).</summary>
    private static async Task<(string Outcome, string? Problem)> CreateOnceAsync(string bundle, string state, string workDirectory, string id)
    {
        var stdout = Path.Combine(workDirectory, "stdout");
        var stderr = Path.Combine(workDirectory, "stderr");
        string[] cli = [CliRun.Binary, "--root", state, "--config", TestEnvironment.QemuConfig,
            "--config-option", "path=/bin/false", "--config-option", "kernel=/bin/false", "--config-option", "initrd=/bin/false",
            "create", "--bundle", bundle, id];
        // stdio to files: a relay that outlives create keeps them, as it keeps containerd's
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec \"$@\" </dev/null >'{stdout}' 2>'{stderr}'", "sh", .. cli])
        {
            WorkingDirectory = workDirectory,
        })!;
        using var bound = new CancellationTokenSource(PerInputBound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            return ("HUNG", $"create did not finish within {PerInputBound}");
        }
        var errors = File.ReadAllText(stderr);
        if (errors.Contains("Unhandled exception", StringComparison.Ordinal) || Regex.IsMatch(errors, @"^\s+at \S+\(", RegexOptions.Multiline))
            return ("CRASHED", "unhandled exception:\n" + errors);
        if (process.ExitCode == 0)
        {
            var delete = await CliRun.RunAsync(["delete", "--force", id], root: state, timeout: PerInputBound);
            return ("created (then deleted)", delete.ExitCode == 0 ? null : "delete --force failed: " + delete.Stderr);
        }
        if (process.ExitCode >= 128 || process.ExitCode < 0)
            return ($"exit {process.ExitCode}", $"create ended with status {process.ExitCode} (a signal or an abort), stderr: {errors}");
        var message = errors.Split('\n').Select(l => Regex.Match(l, "level=error msg=\"(.*)\"$")).FirstOrDefault(m => m.Success)?.Groups[1].Value;
        if (message is null)
            return ("no error message", $"exit {process.ExitCode} without an error on stderr: '{errors}'");
        return (Category(message), null);
    }

    private static string Category(string message) =>
        message.Contains("the VM stopped before its agent answered") ? "failed at boot (QEMU could not start), cleaned up"
        : message.StartsWith("invalid config.json: ") ? "refused: " + Digits().Replace(message["invalid config.json: ".Length..].Split("; ")[0], "N")
        : "failed: " + Digits().Replace(message.Length > 70 ? message[..70] : message, "N");

    /// <summary>What a create that ended must not leave (waited for briefly: a VM on its way out).</summary>
    private static async Task<string?> LeftoversAsync(string state, string id)
    {
        var left = await LeakChecker.ForCli(state, id, HostSnapshot.Empty).WaitCleanAsync();
        if (left.Length > 0)
            return left;
        var files = Directory.Exists(state) ? Directory.EnumerateFileSystemEntries(state).Select(Path.GetFileName).ToList() : [];
        return files.Count > 0 ? $"left under --root: {string.Join(", ", files)}" : null;
    }

    /// <summary>A seed the host can run: the bundle's rootfs, no hooks, no namespace paths, bind sources in the bundle.</summary>
    private static string Runnable(string json)
    {
        var config = JsonNode.Parse(json)!.AsObject();
        config["root"] = new JsonObject { ["path"] = "rootfs", ["readonly"] = false };
        config.Remove("hooks");
        foreach (var ns in config["linux"]?["namespaces"]?.AsArray() ?? [])
            ns!.AsObject().Remove("path");
        // The fixtures' cgroupsPath under a parent of this run's own: FixtureConfigTests runs the same
        // configs at the same time, and two sandboxes given one host cgroup race (one's clean-up removes
        // the empty cgroup the other's jailer is about to join: "join the cgroups: ... PathNotFound").
        if (config["linux"]?["cgroupsPath"] is JsonValue cgroups && cgroups.TryGetValue<string>(out var path))
            config["linux"]!["cgroupsPath"] = $"/sandboxrt-fuzz-{Environment.ProcessId}/{path.TrimStart('/')}";
        return config.ToJsonString();
    }

    /// <summary>Keeps root.path and bind sources (host paths the relay mounts) inside the bundle after a mutation.</summary>
    private static void PinHostPaths(JsonObject config, string bindSource)
    {
        if (config["root"] is JsonObject root && root["path"] is JsonValue path && path.TryGetValue<string>(out _))
            root["path"] = "rootfs";
        config.Remove("hooks");
        if (config["mounts"] is JsonArray mounts)
            foreach (var mount in mounts.OfType<JsonObject>())
                if (mount["source"] is JsonValue source && source.TryGetValue<string>(out _) && IsBindLike(mount))
                    mount["source"] = bindSource;
    }

    private static bool IsBindLike(JsonObject mount) =>
        mount["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "bind"
        || mount["options"] is JsonArray options && options.Any(o => o is JsonValue v && v.TryGetValue<string>(out var s) && s is "bind" or "rbind");
}
