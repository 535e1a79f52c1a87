using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class StateCommand : ICommand
{
    public string Name => "state";
    public string Usage => "print the state of a container as JSON";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } = [];

    public Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        context.Out.WriteLine(QueryOperation.ToJson(QueryOperation.State(context.Lifecycle, StartCommand.OneId(args, Name))));
        return Task.FromResult(0);
    }
}
