using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>The static helper programs that run inside test containers (tests/validator/*.c), compiled once per run.</summary>
internal static class TestBinaries
{
    private static readonly Lazy<string> s_dir = new(Build);

    public static string Validator => Path.Combine(s_dir.Value, "validator");
    public static string Memhog => Path.Combine(s_dir.Value, "memhog");
    public static string Forker => Path.Combine(s_dir.Value, "forker");
    public static string DnsProbe => Path.Combine(s_dir.Value, "dnsprobe");
    public static string XattrProbe => Path.Combine(s_dir.Value, "xattrprobe");

    private static string Build()
    {
        TestEnvironment.RequireCommand("gcc", "gcc libc6-dev");
        var source = Path.Combine(TestEnvironment.RepoRoot, "tests", "validator");
        var output = RunScratch.Create("sandboxrt-test-binaries");
        foreach (var name in new[] { "validator", "memhog", "forker", "dnsprobe", "xattrprobe" })
        {
            using var gcc = Process.Start(new ProcessStartInfo("gcc", ["-Wall", "-static", "-O2", "-o", Path.Combine(output, name), Path.Combine(source, name + ".c")])
            {
                RedirectStandardError = true,
            })!;
            var errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
                throw new InvalidOperationException($"gcc {name}.c failed: {errors}");
        }
        return output;
    }
}
