namespace SandboxRt.Seccomp;

/// <summary>The seccomp_data.arch values for x86 (AUDIT_ARCH_* in linux/audit.h: the ELF machine plus 64-bit and little-endian bits).</summary>
public static class AuditArch
{
    /// <summary>AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE; x32 processes report it too.</summary>
    public const uint X86_64 = 0xC000003E;

    /// <summary>AUDIT_ARCH_I386 = EM_386 (3) | __AUDIT_ARCH_LE: 32-bit processes (int 0x80, ia32 compat).</summary>
    public const uint I386 = 0x40000003;
}
