using System.CommandLine;
using System.Globalization;

namespace SandboxRt.Cli.Cli;

/// <summary>
/// One command's flags and positional arguments, as System.CommandLine parsed them from
/// <see cref="CliParser"/>'s canonical line. Flags are named without dashes; an absent flag is null,
/// false or empty.
/// </summary>
internal sealed class CommandArgs(ParseResult result, Command command, IReadOnlyList<string> positionals)
{
    public IReadOnlyList<string> Positionals { get; } = positionals;

    /// <summary>Whether the flag was given at all.</summary>
    public bool Has(string flag) => result.GetResult(Find(flag)) is { Implicit: false };

    /// <summary>The flag's value (the last one of a repeatable flag), or null when it was not given.</summary>
    public string? Value(string flag) => Find(flag) is Option<string> single ? result.GetValue(single) : Values(flag) is { Count: > 0 } v ? v[^1] : null;

    /// <summary>Every value of a repeatable flag, in order (of any other flag, its value).</summary>
    public IReadOnlyList<string> Values(string flag) => Find(flag) switch
    {
        Option<string[]> repeated => result.GetValue(repeated) ?? [],
        var single => Value(single.Name[2..]) is { } v ? [v] : [],
    };

    /// <summary>A boolean flag: false when absent.</summary>
    public bool Bool(string flag) => result.GetValue((Option<bool>)Find(flag));

    public int? Int(string flag)
    {
        var v = Value(flag);
        if (v is null)
            return null;
        return int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"invalid value \"{v}\" for flag -{flag}: not a number");
    }

    private Option Find(string flag) =>
        command.Options.FirstOrDefault(o => o.Name == $"--{flag}")
        ?? throw new InvalidOperationException($"sandboxrt {command.Name} declares no --{flag}");
}
