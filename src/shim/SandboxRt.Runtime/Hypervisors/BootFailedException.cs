namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A VM that did not reach a serving agent. The message carries the reason and the last lines of the
/// guest console (and of the hypervisor's own log), which usually say what went wrong.
/// </summary>
public sealed class BootFailedException(string reason, IReadOnlyList<string> consoleTail, IReadOnlyList<string> hypervisorLogTail, Exception? inner = null)
    : HypervisorException(Format(reason, consoleTail, hypervisorLogTail), inner)
{
    public string Reason { get; } = reason;
    public IReadOnlyList<string> ConsoleTail { get; } = consoleTail;

    private static string Format(string reason, IReadOnlyList<string> console, IReadOnlyList<string> log)
    {
        var text = new System.Text.StringBuilder(reason);
        if (log.Count > 0)
            text.Append("\n--- hypervisor log (last ").Append(log.Count).Append(" lines) ---\n").AppendJoin('\n', log);
        text.Append("\n--- guest console (last ").Append(console.Count).Append(" lines) ---\n");
        text.Append(console.Count == 0 ? "(empty: the kernel printed nothing)" : string.Join('\n', console));
        return text.ToString();
    }
}
