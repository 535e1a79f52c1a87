using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.Bench;

/// <summary>The table, JSON and markdown of one benchmark run. A failed run is counted, never timed.</summary>
internal sealed class Report(int runs, bool quick)
{
    private readonly List<(Sample Sample, string Unit)> _samples = new();
    private readonly List<(string Name, Sample Numerator, Sample Denominator)> _ratios = new();
    private readonly List<string> _notes = new();

    /// <summary>A finding in words (density verdicts, skipped sections), printed after the table.</summary>
    public void Note(string text) => _notes.Add(text);

    public void Add(Sample sample, string unit) => _samples.Add((sample, unit));

    /// <summary>Runs that failed, across every sample: a failed run is reported, never timed.</summary>
    public int Failures => _samples.Sum(s => s.Sample.Failures);

    public void Ratio(string name, Sample numerator, Sample denominator) => _ratios.Add((name, numerator, denominator));

    public void Print(TextWriter output)
    {
        output.WriteLine($"{"measurement",-70} {"median",12} {"min",12} {"max",12} {"n",3} {"failed",6}");
        foreach (var (s, unit) in _samples)
            output.WriteLine($"{s.Name,-70} {Cell(s.Median, unit),12} {Cell(s.Min, unit),12} {Cell(s.Max, unit),12} {s.Values.Count,3} {s.Failures,6}");
        foreach (var (name, n, d) in _ratios)
            output.WriteLine($"{"ratio: " + name,-70} {n.Median / d.Median,8:F2}x");
        foreach (var note in _notes)
            output.WriteLine(note);
    }

    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    public JsonObject ToJson()
    {
        var samples = new JsonArray();
        foreach (var (s, unit) in _samples)
            samples.Add(new JsonObject
            {
                // a phase no run had (a warm start boots no kernel) has no numbers: null, not NaN (not JSON)
                ["name"] = s.Name, ["unit"] = unit, ["median"] = Number(s.Median), ["min"] = Number(s.Min), ["max"] = Number(s.Max),
                ["runs"] = s.Values.Count, ["failed"] = s.Failures,
                ["values"] = new JsonArray(s.Values.Select(v => (JsonNode?)JsonValue.Create(Math.Round(v, 1))).ToArray()),
            });
        var ratios = new JsonArray();
        foreach (var (name, n, d) in _ratios)
            ratios.Add(new JsonObject { ["name"] = name, ["ratio_of_medians"] = Number(Math.Round(n.Median / d.Median, 3)) });
        return new JsonObject
        {
            ["date"] = DateTime.UtcNow.ToString("u"),
            ["host_kernel"] = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            ["cpus"] = Environment.ProcessorCount,
            ["runs_requested"] = runs,
            ["quick"] = quick,
            ["notes"] = new JsonArray(_notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
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
            text.AppendLine($"| {s.Name.Trim()} | {Cell(s.Median, unit)} | {Cell(s.Min, unit)} | {Cell(s.Max, unit)} | {s.Values.Count} | {s.Failures} |");
        foreach (var (name, n, d) in _ratios)
            text.AppendLine($"| ratio: {name} | {n.Median / d.Median:F2}x | | | | |");
        if (_notes.Count > 0)
            text.AppendLine().AppendJoin('\n', _notes.Select(n => "- " + n)).AppendLine();
        return text.ToString();
    }

    /// <summary>A value with its unit; "-" when there is none (every run failed).</summary>
    private static string Cell(double value, string unit) => double.IsNaN(value) ? "-" : $"{value:F0} {unit}";
}
