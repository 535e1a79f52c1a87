using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>
/// `sandboxrt run [--bundle DIR] [--timings] ID`: create, start and wait, in the foreground (runc run).
/// `run --detach [--pid-file F] [--console-socket S]` is `create` then `start`, as runc's is: the container
/// runs on with its relay; a start that fails deletes it again.
/// </summary>
internal sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Usage => "create and run a container in its own VM, in the foreground; exits with the container's status";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("bundle", "path to the bundle (default: the current directory)", "b"),
        CliOptions.Switch("timings", "print where the time went when the container ends"),
        CliOptions.Switch("detach", "create and start the container, and return: it runs on with its relay", "d"),
        CliOptions.Value("pid-file", "with --detach: file to write the pid that stands for the container's process"),
        CliOptions.Value("console-socket", "with --detach: AF_UNIX socket that receives the terminal's master (with process.terminal)"),
        CliOptions.Switch("no-pivot", "accepted for compatibility (the guest always uses pivot_root)"),
        CliOptions.Switch("no-new-keyring", "accepted for compatibility (the guest kernel's keyring is private to the VM)"),
        CliOptions.Value("preserve-fds", "not supported"),
        CliOptions.Switch("keep", "accepted for compatibility"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count != 1)
            throw new UsageException("run needs exactly one container id");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        var bundle = args.Value("bundle") ?? Directory.GetCurrentDirectory();
        if (args.Bool("detach"))
        {
            if (args.Bool("timings"))
                throw new UsageException("--timings needs run in the foreground (run --detach returns when the container has started)");
            await CreateOperation.RunAsync(context.Lifecycle, args.Positionals[0], bundle, args.Value("pid-file"), args.Value("console-socket"));
            try
            {
                await StartOperation.RunAsync(context.Lifecycle, args.Positionals[0]);
            }
            catch
            {
                await DeleteOperation.RunAsync(context.Lifecycle, args.Positionals[0], force: true); // runc run -d leaves nothing of a container that did not start
                throw;
            }
            return 0;
        }
        if (args.Has("pid-file") || args.Has("console-socket"))
            throw new UsageException("run --pid-file and --console-socket need --detach: in the foreground run is the container's stand-in and uses its own stdio");
        var options = new RunOptions(args.Positionals[0], bundle, context.Global.Root, context.Config)
        {
            Timings = args.Bool("timings"),
        };
        return await ContainerRunner.RunAsync(options, StdioRunIo.Create(context.Error), context.Log);
    }
}
