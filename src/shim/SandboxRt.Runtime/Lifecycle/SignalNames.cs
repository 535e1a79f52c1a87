namespace SandboxRt.Runtime.Lifecycle;

/// <summary>Signal arguments as runc kill takes them: a number, NAME, or SIGNAME.</summary>
public static class SignalNames
{
    private static readonly Dictionary<string, int> Numbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["IOT"] = 6, ["BUS"] = 7, ["FPE"] = 8,
        ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15, ["STKFLT"] = 16,
        ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22, ["URG"] = 23, ["XCPU"] = 24,
        ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29, ["POLL"] = 29, ["PWR"] = 30, ["SYS"] = 31,
    };

    public static int Parse(string text)
    {
        if (int.TryParse(text, out int number))
            return number is > 0 and <= 64 ? number : throw new ArgumentException($"invalid signal number {text}");
        var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        if (name.StartsWith("RTMIN", StringComparison.OrdinalIgnoreCase) || name.StartsWith("RTMAX", StringComparison.OrdinalIgnoreCase))
        {
            int offset = name.Length > 5 && int.TryParse(name[5..], out int o) ? o : 0;
            return name.StartsWith("RTMIN", StringComparison.OrdinalIgnoreCase) ? 34 + offset : 64 + offset;
        }
        return Numbers.TryGetValue(name, out number) ? number : throw new ArgumentException($"unknown signal \"{text}\"");
    }
}
