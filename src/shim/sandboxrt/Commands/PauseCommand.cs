using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`pause` and `resume` (one class, two verbs).</summary>
internal sealed class PauseCommand(bool pause) : ICommand
{
    public string Name => pause ? "pause" : "resume";
    public string Usage => pause ? "freeze every process of the container" : "thaw a paused container";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } = [];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        await PauseOperation.RunAsync(context.Lifecycle, StartCommand.OneId(args, Name), pause);
        return 0;
    }
}
