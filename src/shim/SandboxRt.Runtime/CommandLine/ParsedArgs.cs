using System.Globalization;

namespace SandboxRt.Runtime.CommandLine;

/// <summary>
/// The flags and positional arguments of one command line, as <see cref="GoFlagParser"/> found them. Flags
/// are stored under their main name; a boolean flag's value is already "true" or "false".
/// </summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = new();

    internal void Add(string flag, string value)
    {
        if (!_values.TryGetValue(flag, out var list))
            _values[flag] = list = new List<string>();
        list.Add(value);
    }

    public bool Has(string flag) => _values.ContainsKey(flag);

    /// <summary>The flag's last value (Go: a repeated flag overwrites), or null when it was not given.</summary>
    public string? Value(string flag) => _values.TryGetValue(flag, out var v) ? v[^1] : null;

    /// <summary>Every value of a repeatable flag, in order.</summary>
    public IReadOnlyList<string> Values(string flag) => _values.TryGetValue(flag, out var v) ? v : [];

    /// <summary>A boolean flag: false when absent, else its last value (validated by the parser).</summary>
    public bool Bool(string flag) => Value(flag) == "true";

    public int? Int(string flag)
    {
        var v = Value(flag);
        if (v is null)
            return null;
        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FlagException($"invalid value \"{v}\" for flag -{flag}: not a number");
    }
}
