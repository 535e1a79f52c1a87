namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// One entry of linux.seccomp.syscalls applied to one name: when every condition holds (none: always),
/// the filter returns <see cref="Action"/>.
/// </summary>
internal sealed record SyscallRule(uint Action, IReadOnlyList<ArgumentCondition> Conditions)
{
    public bool IsUnconditional => Conditions.Count == 0;
}
