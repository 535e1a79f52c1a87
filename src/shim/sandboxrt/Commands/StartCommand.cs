using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class StartCommand : ICommand
{
    public string Name => "start";
    public string Usage => "start the process of a created container";
    public IReadOnlyList<FlagSpec> Flags => [];

    public async Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        await StartOperation.RunAsync(context.Lifecycle, OneId(args, Name));
        return 0;
    }

    internal static string OneId(ParsedArgs args, string verb) =>
        args.Positionals.Count == 1 ? args.Positionals[0] : throw new UsageException($"{verb} needs exactly one container id");
}
