using System.Diagnostics;

namespace SandboxRt.Runtime.Containers;

/// <summary>Wall-clock marks of one `run`, for --timings and the benchmarks.</summary>
public sealed class RunTimings
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<(string Name, TimeSpan At)> _marks = new();

    public void Mark(string name) => _marks.Add((name, _watch.Elapsed));

    public IReadOnlyList<(string Name, TimeSpan At)> Marks => _marks;

    public void Write(TextWriter output)
    {
        var previous = TimeSpan.Zero;
        output.WriteLine("sandboxrt timings (ms since start, +ms since previous step):");
        foreach (var (name, at) in _marks)
        {
            output.WriteLine($"  {at.TotalMilliseconds,8:F1}  +{(at - previous).TotalMilliseconds,8:F1}  {name}");
            previous = at;
        }
    }
}
