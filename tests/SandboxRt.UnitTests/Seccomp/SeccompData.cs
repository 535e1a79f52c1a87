using System.Buffers.Binary;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>
/// struct seccomp_data (linux/seccomp.h) as the kernel hands it to a filter:
/// int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; 64 bytes, native (little) endian.
/// </summary>
internal sealed record SeccompData(uint Arch, uint Nr, ulong[] Args, ulong InstructionPointer = 0)
{
    public const int Size = 64;

    public void WriteTo(Span<byte> buffer)
    {
        if (Args.Length > 6)
            throw new ArgumentException("seccomp_data has 6 arguments");
        buffer[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Nr);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], Arch);
        BinaryPrimitives.WriteUInt64LittleEndian(buffer[8..], InstructionPointer);
        for (int i = 0; i < Args.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[(16 + 8 * i)..], Args[i]);
    }
}
