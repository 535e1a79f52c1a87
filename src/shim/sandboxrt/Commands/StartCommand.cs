using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class StartCommand : ICommand
{
    public string Name => "start";
    public string Usage => "start the process of a created container";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } = [];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        await StartOperation.RunAsync(context.Lifecycle, OneId(args, Name));
        return 0;
    }

    internal static string OneId(CommandArgs args, string verb) =>
        args.Positionals.Count == 1 ? args.Positionals[0] : throw new UsageException($"{verb} needs exactly one container id");
}
