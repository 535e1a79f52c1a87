using SandboxRt.Oci.Spec;

namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// Turns an OCI linux.seccomp object into a <see cref="SeccompPolicy"/>, rejecting anything the filter
/// could not express with a message that names the field ("linux.seccomp.syscalls[3].action: ...").
/// </summary>
internal static class SeccompProfileReader
{
    private const string Field = "linux.seccomp";

    /// <summary>EPERM: what SCMP_ACT_ERRNO returns when the profile gives no errno (runtime-spec config-linux.md).</summary>
    private const uint DefaultErrno = 1;

    /// <summary>
    /// A rule's failure jump skips the rest of the rule and must fit in a byte; a condition takes at most
    /// 6 instructions, so 32 conditions (193 instructions) stay well inside.
    /// </summary>
    internal const int MaxConditionsPerRule = 32;

    private static readonly Dictionary<string, SeccompFilterFlags> FlagNames = new(StringComparer.Ordinal)
    {
        ["SECCOMP_FILTER_FLAG_TSYNC"] = SeccompFilterFlags.Tsync,
        ["SECCOMP_FILTER_FLAG_LOG"] = SeccompFilterFlags.Log,
        ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"] = SeccompFilterFlags.SpecAllow,
    };

    private static readonly Dictionary<string, ComparisonOperator> OperatorNames = new(StringComparer.Ordinal)
    {
        ["SCMP_CMP_NE"] = ComparisonOperator.NotEqual,
        ["SCMP_CMP_LT"] = ComparisonOperator.LessThan,
        ["SCMP_CMP_LE"] = ComparisonOperator.LessOrEqual,
        ["SCMP_CMP_EQ"] = ComparisonOperator.Equal,
        ["SCMP_CMP_GE"] = ComparisonOperator.GreaterOrEqual,
        ["SCMP_CMP_GT"] = ComparisonOperator.GreaterThan,
        ["SCMP_CMP_MASKED_EQ"] = ComparisonOperator.MaskedEqual,
    };

    // Architectures an x86_64 kernel never reports: accepted (profiles list every arch of a family) and ignored.
    private static readonly HashSet<string> ForeignArchitectures = new(StringComparer.Ordinal)
    {
        "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
        "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
        "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
    };

    public static SeccompPolicy Read(LinuxSeccomp profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        uint defaultAction = ReadAction(profile.DefaultAction, profile.DefaultErrnoRet, $"{Field}.defaultAction", $"{Field}.defaultErrnoRet");
        var flags = ReadFlags(profile.Flags);
        var (architectures, ignored) = ReadArchitectures(profile.Architectures);

        var rules = new List<(string, SyscallRule)>();
        var syscalls = profile.Syscalls ?? [];
        for (int i = 0; i < syscalls.Count; i++)
        {
            var entry = syscalls[i] ?? throw Problem($"{Field}.syscalls[{i}]", "is null");
            string field = $"{Field}.syscalls[{i}]";
            uint action = ReadAction(entry.Action, entry.ErrnoRet, $"{field}.action", $"{field}.errnoRet");
            var conditions = ReadConditions(entry.Args, field);
            if (entry.Names is not { Count: > 0 })
                throw Problem($"{field}.names", "is empty");
            var rule = new SyscallRule(action, conditions);
            for (int n = 0; n < entry.Names.Count; n++)
            {
                if (string.IsNullOrWhiteSpace(entry.Names[n]))
                    throw Problem($"{field}.names[{n}]", "is empty");
                rules.Add((entry.Names[n], rule));
            }
        }
        return new SeccompPolicy(defaultAction, flags, architectures, rules, ignored);
    }

    private static uint ReadAction(string? name, uint? errnoRet, string field, string errnoField)
    {
        uint action = name switch
        {
            "SCMP_ACT_KILL" or "SCMP_ACT_KILL_THREAD" => SeccompReturn.KillThread,
            "SCMP_ACT_KILL_PROCESS" => SeccompReturn.KillProcess,
            "SCMP_ACT_TRAP" => SeccompReturn.Trap,
            "SCMP_ACT_ERRNO" => SeccompReturn.Errno | DefaultErrno,
            "SCMP_ACT_TRACE" => SeccompReturn.Trace,
            "SCMP_ACT_LOG" => SeccompReturn.Log,
            "SCMP_ACT_ALLOW" => SeccompReturn.Allow,
            "SCMP_ACT_NOTIFY" => throw new NotSupportedException(
                $"{field}: SCMP_ACT_NOTIFY is not supported (seccomp user notification needs a listener, which SandboxRt does not provide)"),
            _ => throw Problem(field, $"unknown action '{name}'"),
        };
        if (errnoRet is not { } data)
            return action;
        if (name is not ("SCMP_ACT_ERRNO" or "SCMP_ACT_TRACE"))
            throw Problem(errnoField, $"is only meaningful for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not '{name}'");
        if (data > SeccompReturn.DataMask)
            throw Problem(errnoField, $"{data} does not fit the 16 bits of SECCOMP_RET_DATA");
        return (action & SeccompReturn.ActionMask) | data;
    }

    private static SeccompFilterFlags ReadFlags(List<string>? names)
    {
        var flags = SeccompFilterFlags.None;
        for (int i = 0; i < (names?.Count ?? 0); i++)
            flags |= FlagNames.TryGetValue(names![i] ?? "", out var flag)
                ? flag
                : throw Problem($"{Field}.flags[{i}]", $"unknown flag '{names[i]}' (known: {string.Join(", ", FlagNames.Keys)})");
        return flags;
    }

    private static (List<SyscallTable>, List<string>) ReadArchitectures(List<string>? names)
    {
        // The native ABI is always filtered (libseccomp's filters always contain it); an empty list means native only.
        var tables = new List<SyscallTable> { SyscallTable.X86_64 };
        var ignored = new List<string>();
        for (int i = 0; i < (names?.Count ?? 0); i++)
        {
            string name = names![i] ?? "";
            var table = name switch
            {
                "SCMP_ARCH_X86_64" => SyscallTable.X86_64,
                "SCMP_ARCH_X86" => SyscallTable.I386,
                "SCMP_ARCH_X32" => SyscallTable.X32,
                _ when ForeignArchitectures.Contains(name) => null,
                _ => throw Problem($"{Field}.architectures[{i}]", $"unknown architecture '{name}'"),
            };
            if (table is null)
            {
                if (!ignored.Contains(name))
                    ignored.Add(name);
            }
            else if (!tables.Contains(table))
                tables.Add(table);
        }
        return (tables, ignored);
    }

    private static List<ArgumentCondition> ReadConditions(List<LinuxSeccompArg>? args, string field)
    {
        var conditions = new List<ArgumentCondition>();
        if (args is null)
            return conditions;
        if (args.Count > MaxConditionsPerRule)
            throw Problem($"{field}.args", $"{args.Count} conditions; at most {MaxConditionsPerRule} per entry are supported");
        for (int j = 0; j < args.Count; j++)
        {
            var arg = args[j] ?? throw Problem($"{field}.args[{j}]", "is null");
            if (arg.Index > 5)
                throw Problem($"{field}.args[{j}].index", $"{arg.Index} is not an argument index (0-5)");
            if (!OperatorNames.TryGetValue(arg.Op ?? "", out var op))
                throw Problem($"{field}.args[{j}].op", $"unknown operator '{arg.Op}'");
            conditions.Add(new ArgumentCondition((int)arg.Index, op, arg.Value, arg.ValueTwo));
        }
        return conditions;
    }

    private static ArgumentException Problem(string field, string text) => new($"{field}: {text}");
}
