using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt run [--bundle DIR] [--timings] ID`: create, start and wait, in the foreground (runc run).</summary>
internal sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Usage => "create and run a container in its own VM, in the foreground; exits with the container's status";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("bundle", "path to the bundle (default: the current directory)", "b"),
        CliOptions.Switch("timings", "print where the time went when the container ends"),
        CliOptions.Switch("detach", "not supported: use create and start", "d"),
        CliOptions.Value("pid-file", "not supported with run"),
        CliOptions.Value("console-socket", "not supported with run"),
        CliOptions.Switch("no-pivot", "accepted for compatibility (the guest always uses pivot_root)"),
        CliOptions.Switch("no-new-keyring", "accepted for compatibility (the guest kernel's keyring is private to the VM)"),
        CliOptions.Value("preserve-fds", "not supported"),
        CliOptions.Switch("keep", "accepted for compatibility"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count != 1)
            throw new UsageException("run needs exactly one container id");
        if (args.Bool("detach") || args.Has("pid-file") || args.Has("console-socket"))
            throw new UsageException("run --detach, --pid-file and --console-socket are not supported yet; run stays in the foreground");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        var options = new RunOptions(args.Positionals[0], args.Value("bundle") ?? Directory.GetCurrentDirectory(), context.Global.Root, context.Config)
        {
            Timings = args.Bool("timings"),
        };
        return await ContainerRunner.RunAsync(options, StdioRunIo.Create(context.Error), context.Log);
    }
}
