using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt run [--bundle DIR] [--timings] ID`: create, start and wait, in the foreground (runc run).</summary>
internal sealed class RunCommand : ICommand
{
    public string Name => "run";
    public string Usage => "create and run a container in its own VM, in the foreground; exits with the container's status";
    public IReadOnlyList<FlagSpec> Flags =>
    [
        new("bundle", true, "path to the bundle (default: the current directory)", "b"),
        new("timings", false, "print where the time went when the container ends"),
        new("detach", false, "not supported: use create and start", "d"),
        new("pid-file", true, "not supported with run"),
        new("console-socket", true, "not supported with run"),
        new("no-pivot", false, "accepted for compatibility (the guest always uses pivot_root)"),
        new("no-new-keyring", false, "accepted for compatibility (the guest kernel's keyring is private to the VM)"),
        new("preserve-fds", true, "not supported"),
        new("keep", false, "accepted for compatibility"),
    ];

    public async Task<int> RunAsync(CommandContext context, ParsedArgs args)
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
