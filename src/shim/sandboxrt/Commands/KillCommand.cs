using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt kill [--all] ID [SIGNAL]`: SIGNAL by number or name, SIGTERM by default (runc kill).</summary>
internal sealed class KillCommand : ICommand
{
    public string Name => "kill";
    public string Usage => "send a signal (default SIGTERM) to the container's init, or with --all to all of its processes";
    public string ArgumentsHelp => "CONTAINER-ID [SIGNAL]";
    public IReadOnlyList<Option> Options { get; } = [CliOptions.Switch("all", "send the signal to every process in the container", "a")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count is < 1 or > 2)
            throw new UsageException("kill needs a container id and optionally a signal");
        int signal = args.Positionals.Count == 2 ? SignalNames.Parse(args.Positionals[1]) : 15;
        await KillOperation.RunAsync(context.Lifecycle, args.Positionals[0], signal, args.Bool("all"));
        return 0;
    }
}
