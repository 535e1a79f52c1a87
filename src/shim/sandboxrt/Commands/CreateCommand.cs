using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt create --bundle DIR [--pid-file F] [--console-socket S] ID` (runc create).</summary>
internal sealed class CreateCommand : ICommand
{
    public string Name => "create";
    public string Usage => "create a container in its own VM; its relay's pid goes to --pid-file";
    public IReadOnlyList<FlagSpec> Flags =>
    [
        new("bundle", true, "path to the bundle (default: the current directory)", "b"),
        new("pid-file", true, "file to write the pid that stands for the container's process"),
        new("console-socket", true, "AF_UNIX socket that receives the terminal's master (with process.terminal)"),
        new("no-pivot", false, "accepted for compatibility (the guest always uses pivot_root)"),
        new("no-new-keyring", false, "accepted for compatibility (the guest kernel's keyrings are the VM's own)"),
        new("preserve-fds", true, "only 0 is supported: descriptors cannot cross into the VM"),
    ];

    public Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        if (args.Positionals.Count != 1)
            throw new UsageException("create needs exactly one container id");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        CreateOperation.Run(context.Lifecycle, args.Positionals[0], args.Value("bundle") ?? Directory.GetCurrentDirectory(),
            args.Value("pid-file"), args.Value("console-socket"));
        return Task.FromResult(0);
    }
}
