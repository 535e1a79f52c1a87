namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// The .NET runtime's diagnostic endpoints: at start-up it creates, in $TMPDIR (else /tmp),
/// `dotnet-diagnostic-PID-KEY-socket` (the diagnostic server: dotnet-trace, dotnet-dump) and
/// `clr-debug-pipe-PID-KEY-in`/`-out` (the debugger transport), and removes them at a clean exit only:
/// every relay, CLI or shim killed with SIGKILL left three files behind, forever.
/// The runtime reads its switch, DOTNET_EnableDiagnostics=0, from the environment only (CoreCLR's
/// CLRConfig looks nowhere else; no runtimeconfig.json property or MSBuild property reaches it, checked
/// with System.Runtime.EnableDiagnostics and six other names), so:
/// - every .NET process we start (relays, the shim daemon) gets DOTNET_EnableDiagnostics=0 in its
///   environment (<see cref="ForChild"/>) and never creates them;
/// - the entry points containerd, Docker or a person start (the CLI, the shim's start and delete) remove
///   their own endpoints first thing in Main (<see cref="RemoveOwn"/>): the runtime keeps its
///   descriptors, nothing can attach any more, and nothing is left whatever kills the process later.
/// Someone who wants to attach a debugger or dotnet-trace sets DOTNET_EnableDiagnostics=1 explicitly:
/// both steps then leave the endpoints alone.
/// </summary>
public static class DiagnosticEndpoints
{
    public const string Variable = "DOTNET_EnableDiagnostics";

    private static bool ExplicitlyEnabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Removes this process's own diagnostic socket and debugger pipes (matched by pid).</summary>
    public static void RemoveOwn()
    {
        if (ExplicitlyEnabled)
            return;
        int pid = Environment.ProcessId;
        var directory = Path.GetTempPath();
        try
        {
            foreach (var prefix in new[] { $"dotnet-diagnostic-{pid}-", $"clr-debug-pipe-{pid}-" })
                foreach (var path in Directory.EnumerateFileSystemEntries(directory, prefix + "*"))
                    File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // best effort: a temporary directory we cannot list or write is not a reason to fail a command
        }
    }

    /// <summary>This process's environment for a .NET child of ours: diagnostics off unless set explicitly.</summary>
    public static List<string> ForChild(params string[] without)
    {
        var environment = new List<string>();
        bool set = false;
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (without.Contains(key))
                continue;
            set |= key == Variable;
            environment.Add($"{key}={e.Value}");
        }
        if (!set)
            environment.Add($"{Variable}=0");
        return environment;
    }
}
