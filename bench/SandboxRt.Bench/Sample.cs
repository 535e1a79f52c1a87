namespace SandboxRt.Bench;

/// <summary>A set of timings of one thing, with the statistics the reports print.</summary>
internal sealed class Sample(string name)
{
    private readonly List<double> _values = new();

    public string Name { get; } = name;
    public IReadOnlyList<double> Values => _values;
    public int Failures { get; private set; }

    public void Add(double value) => _values.Add(value);
    public void Fail() => Failures++;

    public double Median
    {
        get
        {
            if (_values.Count == 0)
                return double.NaN;
            var sorted = _values.Order().ToList();
            int mid = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }
    }

    public double Min => _values.Count == 0 ? double.NaN : _values.Min();
    public double Max => _values.Count == 0 ? double.NaN : _values.Max();

    /// <summary>The latest value for progress lines, or "failed" when there is none.</summary>
    public string LastText => _values.Count == 0 ? "failed" : _values[^1].ToString("F0");
}
