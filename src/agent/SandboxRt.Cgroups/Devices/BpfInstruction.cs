using System.Buffers.Binary;

namespace SandboxRt.Cgroups.Devices;

/// <summary>
/// One struct bpf_insn (8 bytes, little-endian): opcode, dst_reg in the low nibble and src_reg in the
/// high nibble of byte 1, a signed 16-bit offset (jump distance counted from the next instruction)
/// and a signed 32-bit immediate.
/// </summary>
public readonly record struct BpfInstruction(byte Code, byte Dst, byte Src, short Offset, int Immediate)
{
    public const int Size = 8;

    public void Encode(Span<byte> destination)
    {
        destination[0] = Code;
        destination[1] = (byte)((Dst & 0x0f) | (Src << 4));
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Immediate);
    }

    public static BpfInstruction Decode(ReadOnlySpan<byte> source) =>
        new(source[0], (byte)(source[1] & 0x0f), (byte)(source[1] >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(source[2..]), BinaryPrimitives.ReadInt32LittleEndian(source[4..]));

    /// <summary>A bpftool-like rendering, for test failures and logs.</summary>
    public override string ToString() => Code switch
    {
        BpfOpcode.LoadWord => $"r{Dst} = *(u32 *)(r{Src} + {Offset})",
        BpfOpcode.AndImm32 => $"w{Dst} &= 0x{Immediate:x}",
        BpfOpcode.RshImm32 => $"w{Dst} >>= {Immediate}",
        BpfOpcode.MovImm32 => $"w{Dst} = {Immediate}",
        BpfOpcode.MovReg32 => $"w{Dst} = w{Src}",
        BpfOpcode.JeqImm => $"if r{Dst} == {Immediate} goto {Offset:+0;-0}",
        BpfOpcode.JneImm => $"if r{Dst} != {Immediate} goto {Offset:+0;-0}",
        BpfOpcode.JneReg => $"if r{Dst} != r{Src} goto {Offset:+0;-0}",
        BpfOpcode.ExitInsn => "exit",
        _ => $"code 0x{Code:x2} dst r{Dst} src r{Src} off {Offset} imm {Immediate}",
    };
}
