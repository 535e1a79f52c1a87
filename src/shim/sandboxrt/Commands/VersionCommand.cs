using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;

namespace SandboxRt.Cli.Commands;

internal sealed class VersionCommand : ICommand
{
    public string Name => "version";
    public string Usage => "print the version";
    public IReadOnlyList<FlagSpec> Flags => [];

    public Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        context.Out.WriteLine(BuildInfo.VersionText);
        return Task.FromResult(0);
    }
}
