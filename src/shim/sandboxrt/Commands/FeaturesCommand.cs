using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class FeaturesCommand : ICommand
{
    public string Name => "features";
    public string Usage => "print what this runtime supports (runtime-spec features.md) as JSON";
    public IReadOnlyList<Option> Options { get; } = [];

    public Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        context.Out.WriteLine(FeaturesDocument.Create().ToJsonString(CliJson.Indented));
        return Task.FromResult(0);
    }
}
