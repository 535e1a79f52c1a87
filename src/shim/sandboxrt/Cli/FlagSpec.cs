namespace SandboxRt.Cli.Cli;

/// <summary>One flag a command accepts: its names (with or without dashes) and whether it takes a value.</summary>
internal sealed record FlagSpec(string Name, bool TakesValue, string Help, params string[] Aliases)
{
    public IEnumerable<string> AllNames => Aliases.Prepend(Name);
}
