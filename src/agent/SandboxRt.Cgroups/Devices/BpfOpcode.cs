namespace SandboxRt.Cgroups.Devices;

/// <summary>
/// eBPF opcode parts (include/uapi/linux/bpf_common.h and bpf.h): an opcode is class | operation | source,
/// or class | mode | size for loads. Only what the device filter uses.
/// </summary>
public static class BpfOpcode
{
    // instruction classes
    public const byte Ldx = 0x01;
    public const byte Alu = 0x04;   // 32-bit ALU (upper half of dst zeroed)
    public const byte Jmp = 0x05;   // 64-bit compares

    // load size and mode
    public const byte Word = 0x00;  // BPF_W: 32 bits
    public const byte Mem = 0x60;

    // ALU operations
    public const byte And = 0x50;
    public const byte Rsh = 0x70;
    public const byte Mov = 0xb0;

    // jump operations
    public const byte Jeq = 0x10;
    public const byte Jne = 0x50;
    public const byte Exit = 0x90;

    // operand source
    public const byte K = 0x00;     // the immediate
    public const byte X = 0x08;     // the source register

    public const byte LoadWord = Ldx | Mem | Word;   // 0x61: dst = *(u32 *)(src + off)
    public const byte AndImm32 = Alu | And | K;      // 0x54
    public const byte RshImm32 = Alu | Rsh | K;      // 0x74
    public const byte MovImm32 = Alu | Mov | K;      // 0xb4
    public const byte MovReg32 = Alu | Mov | X;      // 0xbc
    public const byte JeqImm = Jmp | Jeq | K;        // 0x15: if dst == imm goto +off
    public const byte JneImm = Jmp | Jne | K;        // 0x55
    public const byte JneReg = Jmp | Jne | X;        // 0x5d: if dst != src goto +off
    public const byte ExitInsn = Jmp | Exit;         // 0x95: return r0
}
