namespace SandboxRt.Runtime.CommandLine;

/// <summary>
/// One flag a command line accepts: its name and aliases (without dashes), whether it takes a value
/// (a string flag) or is a boolean, and its help text.
/// </summary>
public sealed record FlagSpec(string Name, bool TakesValue, string Help, params string[] Aliases)
{
    public IEnumerable<string> AllNames => Aliases.Prepend(Name);
}
