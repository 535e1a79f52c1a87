using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class FeaturesCommand : ICommand
{
    public string Name => "features";
    public string Usage => "print what this runtime supports (runtime-spec features.md) as JSON";
    public IReadOnlyList<FlagSpec> Flags => [];

    public Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        context.Out.WriteLine(FeaturesDocument.Create().ToJsonString(CliJson.Indented));
        return Task.FromResult(0);
    }
}
