using System.Collections.Frozen;
using SandboxRt.Seccomp.Tables;

namespace SandboxRt.Seccomp;

/// <summary>
/// System call names and numbers of one x86 ABI, as the kernel sees them in seccomp_data: the audit
/// architecture a process of that ABI reports and the number it passes, including the x32 bit.
/// The numbers come from the kernel's arch/x86/entry/syscalls tables (see the Tables folder).
/// </summary>
public sealed class SyscallTable
{
    /// <summary>__X32_SYSCALL_BIT: x32 processes report AUDIT_ARCH_X86_64 and set this bit in the number.</summary>
    public const uint X32SyscallBit = 0x40000000;

    private readonly FrozenDictionary<string, uint> _numbers;

    private SyscallTable(string architecture, uint auditArch, uint numberBit, (string Name, int Number)[] entries)
    {
        Architecture = architecture;
        AuditArch = auditArch;
        NumberBit = numberBit;
        _numbers = entries.ToFrozenDictionary(e => e.Name, e => (uint)e.Number | numberBit, StringComparer.Ordinal);
    }

    /// <summary>64-bit processes (SCMP_ARCH_X86_64).</summary>
    public static SyscallTable X86_64 { get; } = new("SCMP_ARCH_X86_64", Seccomp.AuditArch.X86_64, 0, SyscallNumbersX86_64.Entries);

    /// <summary>32-bit processes on a 64-bit kernel (SCMP_ARCH_X86).</summary>
    public static SyscallTable I386 { get; } = new("SCMP_ARCH_X86", Seccomp.AuditArch.I386, 0, SyscallNumbersI386.Entries);

    /// <summary>x32 processes: 64-bit registers, 32-bit pointers (SCMP_ARCH_X32).</summary>
    public static SyscallTable X32 { get; } = new("SCMP_ARCH_X32", Seccomp.AuditArch.X86_64, X32SyscallBit, SyscallNumbersX32.Entries);

    /// <summary>The OCI (libseccomp) architecture name.</summary>
    public string Architecture { get; }

    /// <summary>The seccomp_data.arch value of this ABI's processes.</summary>
    public uint AuditArch { get; }

    /// <summary>The bit every number of this ABI carries (<see cref="X32SyscallBit"/> for x32, otherwise 0).</summary>
    public uint NumberBit { get; }

    public int Count => _numbers.Count;

    public IEnumerable<string> Names => _numbers.Keys;

    /// <summary>The number as it appears in seccomp_data.nr, or false when this ABI has no such call.</summary>
    public bool TryGetNumber(string name, out uint number) => _numbers.TryGetValue(name, out number);

    public override string ToString() => Architecture;
}
