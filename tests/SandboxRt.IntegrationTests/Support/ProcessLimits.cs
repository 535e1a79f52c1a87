namespace SandboxRt.IntegrationTests.Support;

/// <summary>This test process's own resource limits (/proc/self/limits), which the runtime it starts inherits and passes on.</summary>
internal static class ProcessLimits
{
    /// <summary>"SOFT:HARD" of a /proc/self/limits row ("Max open files"), each capped at <paramref name="capAt"/>; "unlimited" as 2^64-1 (what the validator prints), or as a shell's `ulimit` prints it with <paramref name="asShell"/>.</summary>
    public static string Ours(string name, ulong capAt = ulong.MaxValue, bool asShell = false)
    {
        var fields = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[name.Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string Value(string v)
        {
            ulong value = Math.Min(v == "unlimited" ? ulong.MaxValue : ulong.Parse(v), capAt);
            return asShell && value == ulong.MaxValue ? "unlimited" : value.ToString();
        }
        return $"{Value(fields[0])}:{Value(fields[1])}";
    }
}
