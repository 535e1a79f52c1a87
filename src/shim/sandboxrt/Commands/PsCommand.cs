using System.CommandLine;
using System.Text.Json;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.Lifecycle;

namespace SandboxRt.Cli.Commands;

/// <summary>`sandboxrt ps [--format table|json] ID`: see PsOperation for the two views.</summary>
internal sealed class PsCommand : ICommand
{
    public string Name => "ps";
    public string Usage => "list the container's processes (table: inside the guest; json: the host pids that stand for them)";
    public string ArgumentsHelp => "CONTAINER-ID [PS-OPTIONS...]";
    /// <summary>False: arguments after the id are ps options (runc ps skips urfave/cli's reordering).</summary>
    public bool FlagsAfterArguments => false;

    public IReadOnlyList<Option> Options { get; } = [CliOptions.Value("format", "table or json", "f")];

    public async Task<int> RunAsync(CommandContext context, CommandArgs args)
    {
        if (args.Positionals.Count < 1)
            throw new UsageException("ps needs a container id");
        var id = args.Positionals[0];
        switch (args.Value("format") ?? "table")
        {
            case "json":
                context.Out.WriteLine(JsonSerializer.Serialize(PsOperation.HostPids(context.Lifecycle, id).ToList(), CliJsonContext.Default.ListInt32));
                break;
            case "table":
                context.Out.WriteLine($"{"PID",8} {"PPID",8} {"UID",6} {"TIME",8} CMD");
                foreach (var p in await PsOperation.GuestProcessesAsync(context.Lifecycle, id))
                    context.Out.WriteLine($"{p.Pid,8} {p.Ppid,8} {p.Uid,6} {TimeSpan.FromMilliseconds(p.CpuTimeMs):hh\\:mm\\:ss} {p.Command}");
                break;
            default:
                throw new UsageException("--format must be table or json");
        }
        return 0;
    }
}
