namespace SandboxRt.Cli.Cli;

/// <summary>Flags and positional arguments of one command line.</summary>
internal sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = new();

    public void Add(string flag, string value)
    {
        if (!_values.TryGetValue(flag, out var list))
            _values[flag] = list = new List<string>();
        list.Add(value);
    }

    public bool Has(string flag) => _values.ContainsKey(flag);

    public string? Value(string flag) => _values.TryGetValue(flag, out var v) ? v[^1] : null;

    public IReadOnlyList<string> Values(string flag) => _values.TryGetValue(flag, out var v) ? v : [];

    public bool Bool(string flag)
    {
        var v = Value(flag);
        return v is not null && v is not ("false" or "0");
    }

    public int? Int(string flag)
    {
        var v = Value(flag);
        if (v is null)
            return null;
        return int.TryParse(v, out var n) ? n : throw new UsageException($"--{flag}: '{v}' is not a number");
    }
}
