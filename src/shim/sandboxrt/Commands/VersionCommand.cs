using System.CommandLine;
using SandboxRt.Cli.Cli;

namespace SandboxRt.Cli.Commands;

internal sealed class VersionCommand : ICommand
{
    public string Name => "version";
    public string Usage => "print the version";
    public IReadOnlyList<Option> Options { get; } = [];

    public Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        context.Out.WriteLine(BuildInfo.VersionText);
        return Task.FromResult(0);
    }
}
