using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt create --bundle DIR [--pid-file F] [--console-socket S] ID` (runc create).</summary>
internal sealed class CreateCommand : ICommand
{
    public string Name => "create";
    public string Usage => "create a container in its own VM; its relay's pid goes to --pid-file";
    public string ArgumentsHelp => "CONTAINER-ID";
    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("bundle", "path to the bundle (default: the current directory)", "b"),
        CliOptions.Value("pid-file", "file to write the pid that stands for the container's process"),
        CliOptions.Value("console-socket", "AF_UNIX socket that receives the terminal's master (with process.terminal)"),
        CliOptions.Switch("no-pivot", "accepted for compatibility (the guest always uses pivot_root)"),
        CliOptions.Switch("no-new-keyring", "accepted for compatibility (the guest kernel's keyrings are the VM's own)"),
        CliOptions.Value("preserve-fds", "only 0 is supported: descriptors cannot cross into the VM"),
    ];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count != 1)
            throw new UsageException("create needs exactly one container id");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        await CreateOperation.RunAsync(context.Lifecycle, args.Positionals[0], args.Value("bundle") ?? Directory.GetCurrentDirectory(),
            args.Value("pid-file"), args.Value("console-socket"));
        return 0;
    }
}
