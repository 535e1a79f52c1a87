using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class DeleteCommand : ICommand
{
    public string Name => "delete";
    public string Usage => "delete a container and everything it holds on the host (VM, mounts, state)";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Switch("force", "kill the container first if it is running", "f")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        await DeleteOperation.RunAsync(context.Lifecycle, StartCommand.OneId(args, Name), args.Bool("force"));
        return 0;
    }
}
