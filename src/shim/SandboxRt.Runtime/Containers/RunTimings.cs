using System.Diagnostics;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// Points in time of one `run`, for --timings and the benchmarks: host steps marked as they happen,
/// and the sandbox's boot phases (<see cref="Sandboxes.BootBreakdown"/>) placed where they happened.
/// </summary>
public sealed class RunTimings
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly List<(string Name, long At)> _marks = new();

    public void Mark(string name) => _marks.Add((name, Stopwatch.GetTimestamp()));

    /// <summary>A point measured elsewhere (a <see cref="Stopwatch"/> timestamp).</summary>
    public void MarkAt(string name, long timestamp) => _marks.Add((name, timestamp));

    /// <summary>Every point in time order, as the time since the run started.</summary>
    public IReadOnlyList<(string Name, TimeSpan At)> Marks =>
        _marks.OrderBy(m => m.At).Select(m => (m.Name, Stopwatch.GetElapsedTime(_start, m.At))).ToList();

    public void Write(TextWriter output)
    {
        var previous = TimeSpan.Zero;
        output.WriteLine("sandboxrt timings (ms since start, +ms since previous step):");
        foreach (var (name, at) in Marks)
        {
            output.WriteLine($"  {at.TotalMilliseconds,8:F1}  +{(at - previous).TotalMilliseconds,8:F1}  {name}");
            previous = at;
        }
    }
}
