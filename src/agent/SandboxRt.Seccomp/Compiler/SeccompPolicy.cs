namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// A validated profile: actions as return values, the ABIs to filter (native x86_64 first), and the
/// rules in profile order, one per (entry, name).
/// </summary>
internal sealed record SeccompPolicy(
    uint DefaultAction,
    SeccompFilterFlags Flags,
    IReadOnlyList<SyscallTable> Architectures,
    IReadOnlyList<(string Name, SyscallRule Rule)> Rules,
    IReadOnlyList<string> IgnoredArchitectures);
