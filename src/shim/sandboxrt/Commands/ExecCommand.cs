using System.CommandLine;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt exec [--process F | flags] ID [ARGS...]` (runc exec).</summary>
internal sealed class ExecCommand : ICommand
{
    public string Name => "exec";
    public string Usage => "run an extra process in a running container";
    public string ArgumentsHelp => "CONTAINER-ID [--] COMMAND [ARG...]";
    /// <summary>False: the arguments after the id are the process's own command line (runc exec skips urfave/cli's reordering).</summary>
    public bool FlagsAfterArguments => false;

    public IReadOnlyList<Option> Options { get; } =
    [
        CliOptions.Value("process", "path to a process.json (OCI process); replaces the arguments and flags", "p"),
        CliOptions.Switch("detach", "do not wait: a relay stands for the process and its pid goes to --pid-file", "d"),
        CliOptions.Value("pid-file", "file to write the relay's pid"),
        CliOptions.Value("console-socket", "AF_UNIX socket that receives the terminal's master"),
        CliOptions.Switch("tty", "allocate a terminal", "t"),
        CliOptions.Repeated("env", "KEY=VALUE, repeatable", "e"),
        CliOptions.Value("cwd", "the working directory"),
        CliOptions.Value("user", "UID[:GID]", "u"),
        CliOptions.Repeated("additional-gids", "an extra group id, repeatable", "g"),
        CliOptions.Repeated("cap", "an extra capability, repeatable", "c"),
        CliOptions.Switch("no-new-privs", "set no_new_privs"),
        CliOptions.Value("preserve-fds", "only 0 is supported"),
        CliOptions.Value("apparmor", "ignored"),
        CliOptions.Value("process-label", "ignored"),
    ];

    /// <summary>The process's argv: what follows the id, without the `--` that runc's usage allows there (`exec ID -- sh -c x`).</summary>
    internal static List<string> CommandLine(IReadOnlyList<string> positionals) =>
        positionals.Skip(positionals.Count > 1 && positionals[1] == "--" ? 2 : 1).ToList();

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count < 1)
            throw new UsageException("exec needs a container id");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        var request = new ExecRequest(args.Positionals[0])
        {
            ProcessFile = args.Value("process"),
            Arguments = CommandLine(args.Positionals),
            Tty = args.Bool("tty"),
            Env = args.Values("env"),
            Cwd = args.Value("cwd"),
            User = args.Value("user"),
            AdditionalGids = args.Values("additional-gids").Select(uint.Parse).ToList(),
            Capabilities = args.Values("cap"),
            NoNewPrivileges = args.Bool("no-new-privs"),
            Detach = args.Bool("detach"),
            PidFile = args.Value("pid-file"),
            ConsoleSocket = args.Value("console-socket"),
        };
        try
        {
            return await ExecOperation.RunAsync(context.Lifecycle, request, StdioRunIo.Create(context.Error));
        }
        catch (ExecFailedException e)
        {
            context.Error.WriteLine($"sandboxrt: {e.Message}");
            context.Log.Log(Microsoft.Extensions.Logging.LogLevel.Error, 0, e.Message, null, (m, _) => m);
            return e.ExitCode;
        }
    }
}
