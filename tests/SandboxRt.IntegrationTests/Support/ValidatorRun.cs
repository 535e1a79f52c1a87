namespace SandboxRt.IntegrationTests.Support;

/// <summary>Runs a bundle whose process is the validator through `sandboxrt run` and returns its facts.</summary>
internal static class ValidatorRun
{
    public static async Task<Dictionary<string, string>> RunAsync(TestBundle bundle, string label)
    {
        using var state = new ScratchDirectory("srt-state");
        var id = label + "-" + Guid.NewGuid().ToString("N")[..8];
        var run = await CliRun.RunAsync(["run", "--bundle", bundle.Directory, id], root: state.Path);
        TestContext.Current.TestOutputHelper?.WriteLine($"{label}: exit {run.ExitCode}\n{run.Stdout}\n{run.Stderr}");
        Assert.Equal(0, run.ExitCode);
        LeakCheck.AssertNothingLeft(state.Path, id);
        var facts = run.Facts();
        Assert.Equal("1", facts["done"]);
        return facts;
    }
}
