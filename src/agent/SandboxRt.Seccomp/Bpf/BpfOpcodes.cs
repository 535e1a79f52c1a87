namespace SandboxRt.Seccomp.Bpf;

/// <summary>
/// The classic BPF opcodes the compiler emits, composed from the class, size, mode and operation bits of
/// linux/bpf_common.h, and the seccomp_data offsets of linux/seccomp.h.
/// </summary>
internal static class BpfOpcodes
{
    // BPF_LD | BPF_W | BPF_ABS: A = 32-bit word of seccomp_data at offset k.
    public const ushort LoadWordAbsolute = 0x00 | 0x00 | 0x20;
    // BPF_ALU | BPF_AND | BPF_K: A &= k.
    public const ushort AndConstant = 0x04 | 0x50 | 0x00;
    // BPF_JMP | BPF_JA: pc += k (32-bit, so it reaches anywhere in the program).
    public const ushort JumpAlways = 0x05 | 0x00;
    // BPF_JMP | BPF_JEQ / BPF_JGT / BPF_JGE | BPF_K: pc += (A op k) ? jt : jf, unsigned.
    public const ushort JumpEqual = 0x05 | 0x10 | 0x00;
    public const ushort JumpGreater = 0x05 | 0x20 | 0x00;
    public const ushort JumpGreaterOrEqual = 0x05 | 0x30 | 0x00;
    // BPF_RET | BPF_K: return k.
    public const ushort ReturnConstant = 0x06 | 0x00;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    public const uint OffsetNr = 0;
    public const uint OffsetArch = 4;
    public const uint OffsetArgs = 16;

    /// <summary>Conditional jump offsets are a byte.</summary>
    public const int MaxConditionalJump = byte.MaxValue;

    /// <summary>The offset of the low 32 bits of args[index]; the high half follows at +4 (little endian).</summary>
    public static uint ArgLow(int index) => OffsetArgs + 8 * (uint)index;

    public static uint ArgHigh(int index) => ArgLow(index) + 4;
}
