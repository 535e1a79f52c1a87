using System.Text.Json;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// The Kubernetes path: an independent CRI client (@grpc/grpc-js, tests/cri-client) drives containerd's
/// CRI plugin through a pod's whole life (RunPodSandbox, two app containers and a job, ExecSync, stop,
/// remove) with a RuntimeClass handler whose runtime_type is io.containerd.sandboxrt.v2. The harness
/// script starts and stops its own containerd and checks that nothing is left. The same harness with
/// runc is the baseline that proves the harness itself.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class CriPodTests
{
    private static string Script => Path.Combine(TestEnvironment.RepoRoot, "tests", "cri-client", "run-with-runc.sh");

    private static void Require()
    {
        TestEnvironment.RequireRoot();
        foreach (var (tool, package) in new[] { ("containerd", "containerd"), ("node", "nodejs"), ("jq", "jq"), ("umoci", "umoci"), ("skopeo", "skopeo"), ("gcc", "gcc") })
            TestEnvironment.RequireCommand(tool, package);
        TestEnvironment.RequireFile("/usr/lib/cni/loopback", "the CNI loopback plugin (apt-get install containernetworking-plugins)");
        TestEnvironment.RequireFile(Path.Combine(TestEnvironment.RepoRoot, "tests", "cri-client", "node_modules", "@grpc", "grpc-js", "package.json"),
            "the CRI client's npm modules (make deps runs npm ci in tests/cri-client)");
    }

    [Fact]
    public async Task Pod_lifecycle_with_runc_proves_the_harness()
    {
        Require();
        var result = await RunAsync(new Dictionary<string, string> { ["EXPECT_BOOT_ID"] = "host" });
        Assert.Equal(result.GetProperty("hostBootId").GetString(), Assert.Single(result.GetProperty("bootIds").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Pod_lifecycle_with_the_sandboxrt_runtime_class_runs_the_pod_in_one_vm()
    {
        Require();
        TestEnvironment.RequireVmPrerequisites();
        var shimDirectory = Path.GetDirectoryName(CliRun.Binary)!;
        TestEnvironment.RequireFile(Path.Combine(shimDirectory, "containerd-shim-sandboxrt-v2"), "the containerd shim (make build)");
        var config = VmTestConfig.WriteFile(Path.Combine(Path.GetTempPath(), $"sandboxrt-cri-test-{Environment.ProcessId}.json"));
        JsonElement result;
        try
        {
            result = await RunAsync(new Dictionary<string, string>
            {
                ["HANDLER"] = "sandboxrt",
                ["SHIM_PATH_DIR"] = shimDirectory,
                ["HANDLER_CONFIG_PATH"] = config,
                ["EXPECT_BOOT_ID"] = "other",
            });
        }
        finally
        {
            File.Delete(config);
        }
        // every container of the pod answered ExecSync from the same guest kernel, which is not the host's
        var bootId = Assert.Single(result.GetProperty("bootIds").EnumerateArray()).GetString();
        Assert.NotEqual(result.GetProperty("hostBootId").GetString(), bootId);
        Assert.Empty(ProcessTable.Find("containerd-shim-sandboxrt-v2 -namespace k8s.io"));
    }

    private static async Task<JsonElement> RunAsync(Dictionary<string, string> environment)
    {
        // bounded by SIGTERM first, so that the harness's own cleanup runs (it stops what it started) and reports
        var run = await Command.RunAsync("timeout", ["-s", "TERM", "-k", "30", "240", Script], environment: environment, timeout: TimeSpan.FromMinutes(5));
        JsonElement result;
        try
        {
            result = JsonDocument.Parse(run.Stdout).RootElement;
        }
        catch (JsonException)
        {
            Assert.Fail($"the harness printed no JSON (exit {run.ExitCode}); stderr:\n{Tail(run.Stderr)}");
            throw;
        }
        if (run.ExitCode != 0 || !result.GetProperty("ok").GetBoolean())
            Assert.Fail($"CRI lifecycle failed (exit {run.ExitCode}) at {Field(result, "failedStep")}: {Field(result, "error")}\n" +
                        $"harness: {Field(result, "harness")}\nstderr:\n{Tail(run.Stderr)}");
        Assert.True(result.GetProperty("harness").GetProperty("ok").GetBoolean(), $"harness checks: {Field(result, "harness")}");
        return result;
    }

    private static string Field(JsonElement result, string name) => result.TryGetProperty(name, out var value) ? value.ToString() : "(none)";

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));
}
