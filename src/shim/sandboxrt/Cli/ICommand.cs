using System.CommandLine;

namespace SandboxRt.Cli.Cli;

/// <summary>One verb of the command line: its flags and what it does with them.</summary>
internal interface ICommand
{
    string Name { get; }
    string Usage { get; }
    /// <summary>The verb's flags, as System.CommandLine options (<see cref="CliOptions"/>).</summary>
    IReadOnlyList<Option> Options { get; }

    /// <summary>How help names the positional arguments (`CONTAINER-ID`); empty for none.</summary>
    string ArgumentsHelp => "";

    /// <summary>
    /// Whether flags may follow the arguments (`delete ID --force`), as urfave/cli v1 reorders them for
    /// runc's verbs; false where the arguments are a command line of their own (runc's exec and ps).
    /// </summary>
    bool FlagsAfterArguments => true;

    Task<int> RunAsync(CommandContext context, CommandArgs args);
}
