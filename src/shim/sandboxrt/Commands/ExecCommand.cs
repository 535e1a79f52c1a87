using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt exec [--process F | flags] ID [ARGS...]` (runc exec).</summary>
internal sealed class ExecCommand : ICommand
{
    public string Name => "exec";
    public string Usage => "run an extra process in a running container";
    /// <summary>False: the arguments after the id are the process's own command line (runc exec skips urfave/cli's reordering).</summary>
    public bool FlagsAfterArguments => false;

    public IReadOnlyList<FlagSpec> Flags =>
    [
        new("process", true, "path to a process.json (OCI process); replaces the arguments and flags", "p"),
        new("detach", false, "do not wait: a relay stands for the process and its pid goes to --pid-file", "d"),
        new("pid-file", true, "file to write the relay's pid"),
        new("console-socket", true, "AF_UNIX socket that receives the terminal's master"),
        new("tty", false, "allocate a terminal", "t"),
        new("env", true, "KEY=VALUE, repeatable", "e"),
        new("cwd", true, "the working directory"),
        new("user", true, "UID[:GID]", "u"),
        new("additional-gids", true, "an extra group id, repeatable", "g"),
        new("cap", true, "an extra capability, repeatable", "c"),
        new("no-new-privs", false, "set no_new_privs"),
        new("preserve-fds", true, "only 0 is supported"),
        new("apparmor", true, "ignored"),
        new("process-label", true, "ignored"),
    ];

    public async Task<int> RunAsync(CommandContext context, ParsedArgs args)
    {
        if (args.Positionals.Count < 1)
            throw new UsageException("exec needs a container id");
        if (args.Int("preserve-fds") is > 0)
            throw new UsageException("--preserve-fds is not supported: descriptors cannot cross into the VM");
        var request = new ExecRequest(args.Positionals[0])
        {
            ProcessFile = args.Value("process"),
            Arguments = args.Positionals.Skip(1).ToList(),
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
