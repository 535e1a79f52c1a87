using System.Diagnostics;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// The starter bundle of the runc installed here (`runc spec`, unmodified: a terminal, `sh`, and ambient
/// capabilities that are not in the inheritable set) runs as it runs under runc: the ambient capabilities
/// that cannot be raised are left out with a warning, the container starts with its effective set.
/// </summary>
[Trait("Tier", "vm")]
public sealed class RuncSpecBundleTests
{
    [Fact]
    public async Task The_unmodified_runc_spec_bundle_runs()
    {
        TestEnvironment.RequireVmPrerequisites();
        TestEnvironment.RequireCommand("runc", "runc");
        using var state = new ScratchDirectory("srt-state");
        using var bundle = new TestBundle();
        File.Delete(Path.Combine(bundle.Directory, "config.json"));
        using (var spec = Process.Start(new ProcessStartInfo("runc", ["spec"]) { WorkingDirectory = bundle.Directory, RedirectStandardError = true })!)
        {
            await spec.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(spec.ExitCode == 0, "runc spec: " + await spec.StandardError.ReadToEndAsync());
        }
        var config = File.ReadAllText(Path.Combine(bundle.Directory, "config.json"));
        Assert.Contains("\"ambient\"", config);
        Assert.DoesNotContain("\"inheritable\"", config); // the case at hand: what runc 1.1.5 writes

        var id = "runcspec-" + Guid.NewGuid().ToString("N")[..8];
        using var input = new MemoryStream("grep -E '^Cap(Eff|Amb)' /proc/self/status; exit 7\n"u8.ToArray());
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], stdin: input, root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + "\n--- stderr\n" + run.Stderr);
        Assert.DoesNotContain("PR_CAP_AMBIENT_RAISE", run.Stderr);
        Assert.Equal(7, run.ExitCode);
        // CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10); none of them can be ambient
        Assert.Contains("CapEff:\t0000000020000420", run.Stdout);
        Assert.Contains("CapAmb:\t0000000000000000", run.Stdout);
        LeakCheck.AssertNothingLeft(state.Path, id);
    }
}
