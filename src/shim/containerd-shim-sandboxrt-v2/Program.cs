using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Shim.Cli;
using SandboxRt.Shim.Daemon;

// containerd-shim-sandboxrt-v2 [flags] [start|delete]: see Cli/ShimFlags, Cli/StartCommand,
// Cli/DeleteCommand and Daemon/ShimDaemon. NativeAOT (NativeAot.props): start-up costs milliseconds
// (containerd runs `start` and `delete` per pod), and there is no diagnostic server to leave a socket in /tmp.
ShimFlags flags;
try
{
    flags = ShimFlags.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"containerd-shim-sandboxrt-v2: {e.Message}");
    Console.Error.WriteLine("usage: containerd-shim-sandboxrt-v2 -namespace NS -address ADDR -publish-binary BIN -id ID [-bundle B] [-debug] [start|delete]");
    return 2;
}

if (flags.Help)
{
    ShimFlags.WriteHelp(Console.Out);
    return 0;
}

if (flags.Version)
{
    Console.WriteLine("containerd-shim-sandboxrt-v2:");
    Console.WriteLine($"  Version:  {BuildVersion.Version}");
    Console.WriteLine($"  Revision: {BuildVersion.Commit}");
    Console.WriteLine($"  .NET:     {Environment.Version}");
    return 0;
}

try
{
    if (flags.Info)
        return InfoCommand.Run(Console.IsInputRedirected ? Console.OpenStandardInput() : Stream.Null, Console.OpenStandardOutput());
    if (flags.VmCacheEntry.Length > 0 && flags.Action.Length == 0)
        return await SandboxRt.Shim.Cache.VmCacheEntry.RunAsync(flags);
    return flags.Action switch
    {
        "start" => await StartCommand.RunAsync(flags, Console.OpenStandardInput(), Console.Out),
        "delete" => await DeleteCommand.RunAsync(flags, Console.OpenStandardOutput()),
        "" => await ShimDaemon.RunAsync(flags),
        _ => throw new ArgumentException($"unknown action '{flags.Action}' (start, delete, or none for the daemon)"),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or UnauthorizedAccessException
                           or SandboxRt.Runtime.Configuration.ConfigException or InvalidDataException)
{
    Console.Error.WriteLine($"containerd-shim-sandboxrt-v2 {flags.Action}: {e.Message}");
    return 1;
}
