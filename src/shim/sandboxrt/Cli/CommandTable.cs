using SandboxRt.Cli.Commands;

namespace SandboxRt.Cli.Cli;

/// <summary>Every verb the CLI knows.</summary>
internal static class CommandTable
{
    public static IReadOnlyList<ICommand> All { get; } =
    [
        new CheckCommand(),
        new RunCommand(),
        new SpecCommand(),
        new VersionCommand(),
    ];

    public static ICommand? Find(string name) => All.FirstOrDefault(c => c.Name == name);
}
