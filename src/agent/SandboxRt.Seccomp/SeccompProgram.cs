using System.Collections.Immutable;
using SandboxRt.Interop;

namespace SandboxRt.Seccomp;

/// <summary>A compiled seccomp filter, ready for <see cref="Install"/>.</summary>
public sealed class SeccompProgram
{
    internal SeccompProgram(
        ImmutableArray<SockFilterInstruction> instructions,
        SeccompFilterFlags flags,
        IReadOnlyList<string> ignoredSyscalls,
        IReadOnlyList<string> ignoredArchitectures)
    {
        Instructions = instructions;
        Flags = flags;
        IgnoredSyscalls = ignoredSyscalls;
        IgnoredArchitectures = ignoredArchitectures;
    }

    /// <summary>The classic BPF program (struct sock_filter[]).</summary>
    public ImmutableArray<SockFilterInstruction> Instructions { get; }

    /// <summary>The SECCOMP_FILTER_FLAG_* bits from linux.seccomp.flags, passed to seccomp(2).</summary>
    public SeccompFilterFlags Flags { get; }

    /// <summary>Names from the profile that none of the filtered ABIs has; they match nothing (runc does the same).</summary>
    public IReadOnlyList<string> IgnoredSyscalls { get; }

    /// <summary>Listed architectures an x86_64 kernel never reports (SCMP_ARCH_AARCH64...); they get no section.</summary>
    public IReadOnlyList<string> IgnoredArchitectures { get; }

    /// <summary>
    /// Installs the filter on the calling thread (see <see cref="SeccompFilter.Install"/> for when to call it).
    /// Unless the process has set no_new_privs (<see cref="SeccompFilter.SetNoNewPrivileges"/>) it needs CAP_SYS_ADMIN.
    /// </summary>
    public void Install() => SeccompFilter.Install(Instructions.AsSpan(), (uint)Flags);
}
