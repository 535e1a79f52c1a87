namespace SandboxRt.Cli.Cli;

/// <summary>One verb of the command line: its flags and what it does with them.</summary>
internal interface ICommand
{
    string Name { get; }
    string Usage { get; }
    IReadOnlyList<FlagSpec> Flags { get; }

    Task<int> RunAsync(CommandContext context, ParsedArgs args);
}
