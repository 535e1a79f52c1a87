using Microsoft.Extensions.Logging;
using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Diagnostics;

// sandboxrt [global flags] COMMAND [command flags] [arguments]
// runc's command-line contract: global flags first (containerd passes --root, --log, --log-format),
// then the verb. Errors go to stderr and to the --log file (which containerd reads after a failure).
// A relay's real arguments come in its environment; its argv only shows what it stands for (see RelayLauncher).
// Start-up, before anything touches the console (which initialises .NET's signal handling): see
// ProcessStartup for why forwarded signals are taken back here. The binary is NativeAOT (NativeAot.props):
// no diagnostic server, so no dotnet-diagnostic socket or debugger pipes in /tmp to clean up.
if (args.Length >= 2 && args[0] == "relay" && args[1] == "--" && SandboxRt.Runtime.Relay.RelayLauncher.ArgumentsFromEnvironment() is { } relayArgs)
    args = relayArgs;
ParsedArgs globalArgs;
GlobalOptions global;
try
{
    // Global flags end at the verb (urfave/cli parses them with Go's flag package, no reordering).
    globalArgs = GoFlagParser.Parse(args, GlobalOptions.Flags);
    global = GlobalOptions.From(globalArgs);
}
catch (Exception e) when (e is UsageException or FlagException)
{
    Console.Error.WriteLine($"sandboxrt: {e.Message}");
    return 2;
}
int verbIndex = args.Length - globalArgs.Positionals.Count;
var takenBack = ProcessStartup.TakeBackForwardedSignals(verbIndex < args.Length ? args[verbIndex] : null);
if (globalArgs.Bool("version"))
{
    Console.WriteLine(BuildInfo.VersionText);
    return 0;
}

Stream logStream = Console.OpenStandardError();
if (global.LogPath is not null)
{
    SandboxRt.Runtime.Storage.PrivateFiles.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(global.LogPath))!);
    // O_APPEND: the CLI and its relay both write to containerd's log.json; with a mere seek to the end
    // their lines overwrote each other, and go-runc could not parse the error it shows the user.
    logStream = SandboxRt.Interop.FileDescriptors.ToStream(SandboxRt.Interop.FileDescriptors.OpenForAppend(global.LogPath, 0b110_000_000), FileAccess.Write);
}
var logLock = new object();
var log = new LogrusLogger(line =>
{
    var bytes = System.Text.Encoding.UTF8.GetBytes(line);
    lock (logLock)
        logStream.Write(bytes);
}, global.LogFormat == "json", global.Debug);
if (takenBack.Count > 0)
    log.Write(LogLevel.Debug, $"signals {string.Join(", ", takenBack)} were ignored when this process started; taken back to forward them");

if (verbIndex >= args.Length || globalArgs.Bool("help"))
{
    PrintHelp(Console.Out);
    return verbIndex >= args.Length && !globalArgs.Bool("help") ? 2 : 0;
}

var command = CommandTable.Find(args[verbIndex]);
if (command is null)
{
    Fail($"unknown command '{args[verbIndex]}' (see sandboxrt --help)");
    return 2;
}

try
{
    var commandArgs = GoFlagParser.Parse(args, [.. command.Flags, new FlagSpec("help", false, "show help", "h")], verbIndex + 1, command.FlagsAfterArguments);
    if (commandArgs.Bool("help"))
    {
        PrintCommandHelp(Console.Out, command);
        return 0;
    }
    var context = new CommandContext(global, log, Console.Out, Console.Error);
    return await command.RunAsync(context, commandArgs);
}
catch (Exception e) when (e is UsageException or FlagException)
{
    Fail($"{command.Name}: {e.Message}");
    PrintCommandHelp(Console.Error, command);
    return 2;
}
catch (Exception e) when (e is ConfigException or HypervisorException or SyscallException or ArgumentException or InvalidOperationException
                               or IOException or UnauthorizedAccessException or SandboxRt.Runtime.Agent.AgentException
                               or SandboxRt.Runtime.State.ContainerNotFoundException or SandboxRt.Runtime.Hooks.HookFailedException or TimeoutException)
{
    Fail(e.Message);
    return 1;
}
finally
{
    logStream.Dispose();
}

void Fail(string message)
{
    log.Write(LogLevel.Error, message);
    if (global.LogPath is not null)
        Console.Error.WriteLine($"sandboxrt: {message}");
}

static void PrintHelp(TextWriter output)
{
    output.WriteLine("sandboxrt: a runc-compatible runtime that runs every container in its own virtual machine");
    output.WriteLine();
    output.WriteLine("usage: sandboxrt [global options] command [command options] [arguments...]");
    output.WriteLine();
    output.WriteLine("commands:");
    foreach (var c in CommandTable.All)
        output.WriteLine($"  {c.Name,-12} {c.Usage}");
    output.WriteLine();
    output.WriteLine("global options:");
    foreach (var f in GlobalOptions.Flags)
        output.WriteLine($"  --{f.Name + (f.TakesValue ? " value" : ""),-24} {f.Help}");
}

static void PrintCommandHelp(TextWriter output, ICommand command)
{
    output.WriteLine($"usage: sandboxrt {command.Name} [options]   {command.Usage}");
    foreach (var f in command.Flags)
        output.WriteLine($"  --{f.Name + (f.TakesValue ? " value" : ""),-24} {f.Help}");
}
