using System.Diagnostics;
using System.Text.RegularExpressions;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Oci;

/// <summary>
/// Thousands of mutated real configs (the ctr, Docker and CRI fixtures and sandboxrt's own default) through
/// the loader and the validator: each is accepted or refused with a SpecValidationException whose every
/// problem names a field (or the file, for broken JSON) and quotes nothing the mutation invented; never
/// any other exception, never longer than a bound. Seeded: SANDBOXRT_FUZZ_SEED and SANDBOXRT_FUZZ_COUNT
/// reproduce or widen a run; a failure prints the input's index and the mutations applied.
/// </summary>
[Trait("Tier", "unit")]
public sealed partial class SpecFuzzTests
{
    private static readonly TimeSpan PerInputBound = TimeSpan.FromSeconds(2);


    /// <summary>"field: text" where field is a JSON path, "the document", or the file name for broken JSON.</summary>
    [GeneratedRegex(@"^(config\.json|the document|[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z0-9_./-]+|\[\d+\])*): \S")]
    private static partial Regex NamedProblem();

    [Fact]
    public void Ten_thousand_mutated_real_configs_are_accepted_or_refused_naming_a_field()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("SANDBOXRT_FUZZ_SEED"), out var s) ? s : 20261203;
        int count = int.TryParse(Environment.GetEnvironmentVariable("SANDBOXRT_FUZZ_COUNT"), out var c) ? c : 10_000;
        var seeds = ConfigMutator.Seeds(Path.Combine(AppContext.BaseDirectory, "Fixtures", "oci-configs"));
        var mutator = new ConfigMutator(seed);
        using var rootfs = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(rootfs.Path, "etc"));
        File.CreateSymbolicLink(Path.Combine(rootfs.Path, "escape"), "../../../..");
        File.CreateSymbolicLink(Path.Combine(rootfs.Path, "loop"), "loop");

        var outcomes = new SortedDictionary<string, int>();
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        var checking = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            var (name, json) = seeds[i % seeds.Count];
            var input = mutator.Mutate(json);
            var what = $"input {i} (seed {seed}, from {name}: {string.Join(", ", mutator.Applied)})";
            var watch = Stopwatch.StartNew();
            string outcome;
            try
            {
                var spec = SpecLoader.Parse(input, "config.json");
                SpecValidator.Validate(spec, rootfs.Path);
                outcome = "accepted";
            }
            catch (SpecValidationException e)
            {
                outcome = "refused: " + Category(e.Problems[0]);
                foreach (var problem in e.Problems)
                {
                    if (!NamedProblem().IsMatch(problem))
                        failures.Add($"{what}: a problem that names no field: {Clip(problem)}");
                    else if (problem.Contains(ConfigMutator.Canary))
                        failures.Add($"{what}: a problem that quotes the input: {Clip(problem)}");
                }
            }
            catch (Exception e)
            {
                outcome = "FAILED: " + e.GetType().Name;
                failures.Add($"{what}: {e.GetType().Name} instead of a SpecValidationException: {Clip(e.ToString())}");
            }
            watch.Stop();
            checking += watch.Elapsed;
            if (watch.Elapsed > PerInputBound)
                failures.Add($"{what}: took {watch.Elapsed}");
            if (watch.Elapsed > slowest)
                slowest = watch.Elapsed;
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }
        var report = $"{count} inputs (seed {seed}) in {total.Elapsed.TotalSeconds:F1} s ({checking.TotalSeconds:F1} s loading and validating), slowest {slowest.TotalMilliseconds:F0} ms:\n" +
                     string.Join("\n", outcomes.Select(o => $"  {o.Value,6}  {o.Key}"));
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Console.WriteLine(report);
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} inputs failed; the first ones:\n{string.Join("\n", failures.Take(10))}\n{report}");
        Assert.True(outcomes.GetValueOrDefault("accepted") > count / 50, "almost nothing was accepted: the mutations are too blunt to reach the validator's later checks\n" + report);
    }

    private static string Clip(string text) => text.Length > 400 ? text[..400] + "..." : text;

    /// <summary>The kind of refusal, for the report: what the first problem says, without indices and keys.</summary>
    private static string Category(string problem)
    {
        int colon = problem.IndexOf(": ", StringComparison.Ordinal);
        var text = problem[(colon + 2)..];
        if (text.StartsWith("not valid JSON", StringComparison.Ordinal))
            return "not valid JSON";
        return Regex.Replace(text, @"\d+", "N");
    }
}
