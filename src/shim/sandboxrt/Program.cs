using Microsoft.Extensions.Logging;
using SandboxRt.Cli.Cli;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Diagnostics;

// sandboxrt [global flags] COMMAND [command flags] [arguments]: see Cli/CliParser (System.CommandLine, read
// with Go's flag rules) for the command line.
// runc's command-line contract: global flags first (containerd passes --root, --log, --log-format),
// then the verb. Errors go to stderr and to the --log file (which containerd reads after a failure).
// A relay's real arguments come in its environment; its argv only shows what it stands for (see RelayLauncher).
// Start-up, before anything touches the console (which initialises .NET's signal handling): see
// ProcessStartup for why forwarded signals are taken back here. The binary is NativeAOT (NativeAot.props):
// no diagnostic server, so no dotnet-diagnostic socket or debugger pipes in /tmp to clean up.
if (args.Length >= 2 && args[0] == "relay" && args[1] == "--" && SandboxRt.Runtime.Relay.RelayLauncher.ArgumentsFromEnvironment() is { } relayArgs)
    args = relayArgs;
if (CliParser.IsDirective(args))
    return CliParser.Complete(args);
CliLine line;
try
{
    // Global flags end at the verb (urfave/cli parses them with Go's flag package, no reordering).
    line = CliParser.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"sandboxrt: {e.Message}");
    return 2;
}
var global = line.Global;
var takenBack = ProcessStartup.TakeBackForwardedSignals(line.Verb);
if (line.Version)
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

if (line.Verb is null || line.Help)
{
    CliParser.WriteHelp(Console.Out);
    return line.Verb is null && !line.Help ? 2 : 0;
}

var command = line.Command;
if (command is null)
{
    Fail($"unknown command '{line.Verb}' (see sandboxrt --help)");
    return 2;
}

try
{
    if (line.Error is not null)
        throw line.Error;
    if (line.VerbHelp)
    {
        CliParser.WriteHelp(Console.Out, command.Name);
        return 0;
    }
    var context = new CommandContext(global, log, Console.Out, Console.Error);
    return await command.RunAsync(context, line.Arguments!);
}
catch (UsageException e)
{
    Fail($"{command.Name}: {e.Message}");
    CliParser.WriteHelp(Console.Error, command.Name);
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
