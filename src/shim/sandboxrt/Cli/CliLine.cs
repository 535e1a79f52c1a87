namespace SandboxRt.Cli.Cli;

/// <summary>
/// A sandboxrt command line as <see cref="CliParser"/> read it. <see cref="Error"/> is a usage error in
/// the verb's part (reported with the verb's help once the log is open); errors in the global flags are
/// thrown by the parser instead, as Go's flag package stops there.
/// </summary>
internal sealed record CliLine(GlobalOptions Global, bool Help, bool Version, string? Verb)
{
    /// <summary>The verb's command, or null when the verb is missing or unknown.</summary>
    public ICommand? Command { get; init; }

    /// <summary>The verb's flags and arguments; null when <see cref="Error"/> is set.</summary>
    public CommandArgs? Arguments { get; init; }

    /// <summary>Whether the verb's own --help was given.</summary>
    public bool VerbHelp { get; init; }

    public UsageException? Error { get; init; }
}
