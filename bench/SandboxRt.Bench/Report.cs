using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.Bench;

/// <summary>The table, JSON and markdown of one benchmark run. A failed run is counted, never timed.</summary>
internal sealed class Report(int runs)
{
    private readonly List<(Sample Sample, string Unit)> _samples = new();
    private readonly List<(string Name, Sample Numerator, Sample Denominator)> _ratios = new();

    public void Add(Sample sample, string unit) => _samples.Add((sample, unit));

    /// <summary>Runs that failed, across every sample: a failed run is reported, never timed.</summary>
    public int Failures => _samples.Sum(s => s.Sample.Failures);

    public void Ratio(string name, Sample numerator, Sample denominator) => _ratios.Add((name, numerator, denominator));

    public void Print(TextWriter output)
    {
        output.WriteLine($"{"measurement",-55} {"median",9} {"min",9} {"max",9} {"n",3} {"failed",6}");
        foreach (var (s, unit) in _samples)
            output.WriteLine($"{s.Name,-55} {s.Median,7:F0}{unit} {s.Min,7:F0}{unit} {s.Max,7:F0}{unit} {s.Values.Count,3} {s.Failures,6}");
        foreach (var (name, n, d) in _ratios)
            output.WriteLine($"{"ratio: " + name,-55} {n.Median / d.Median,8:F2}x");
    }

    public JsonObject ToJson()
    {
        var samples = new JsonArray();
        foreach (var (s, unit) in _samples)
            samples.Add(new JsonObject
            {
                ["name"] = s.Name, ["unit"] = unit, ["median"] = s.Median, ["min"] = s.Min, ["max"] = s.Max,
                ["runs"] = s.Values.Count, ["failed"] = s.Failures,
                ["values"] = new JsonArray(s.Values.Select(v => (JsonNode?)JsonValue.Create(Math.Round(v, 1))).ToArray()),
            });
        var ratios = new JsonArray();
        foreach (var (name, n, d) in _ratios)
            ratios.Add(new JsonObject { ["name"] = name, ["ratio_of_medians"] = Math.Round(n.Median / d.Median, 3) });
        return new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("u"),
            ["host_kernel"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            ["cpus"] = Environment.ProcessorCount,
            ["runs_requested"] = runs,
            ["samples"] = samples,
            ["ratios"] = ratios,
        };
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"| measurement | median | min | max | runs | failed |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (s, unit) in _samples)
            text.AppendLine($"| {s.Name} | {s.Median:F0} {unit} | {s.Min:F0} {unit} | {s.Max:F0} {unit} | {s.Values.Count} | {s.Failures} |");
        foreach (var (name, n, d) in _ratios)
            text.AppendLine($"| ratio: {name} | {n.Median / d.Median:F2}x | | | | |");
        return text.ToString();
    }
}
