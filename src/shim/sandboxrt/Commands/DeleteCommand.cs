using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

internal sealed class DeleteCommand : ICommand
{
    public string Name => "delete";
    public string Usage => "delete a container and everything it holds on the host (VM, mounts, state)";
    public IReadOnlyList<FlagSpec> Flags => [new("force", false, "kill the container first if it is running", "f")];

    public async Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        await DeleteOperation.RunAsync(context.Lifecycle, StartCommand.OneId(args, Name), args.Bool("force"));
        return 0;
    }
}
