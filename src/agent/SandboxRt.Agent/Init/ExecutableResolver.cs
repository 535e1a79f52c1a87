namespace SandboxRt.Agent.Init;

/// <summary>Finds the program to exec as execvp would, using the container's PATH, after pivot_root.</summary>
internal static class ExecutableResolver
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The path to exec, or null when nothing executable matches (the caller reports ENOENT like runc).</summary>
    public static string? Resolve(string program, IReadOnlyList<string> environment)
    {
        if (program.Contains('/'))
            return program;
        var path = environment.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? DefaultPath;
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                return candidate;
        }
        return null;
    }
}
