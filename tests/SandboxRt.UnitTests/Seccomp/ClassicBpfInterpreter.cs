using System.Buffers.Binary;
using SandboxRt.Interop;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>
/// Runs a classic BPF seccomp filter over a <see cref="SeccompData"/> the way the kernel does, after the
/// checks the kernel makes when the filter is installed (bpf_check_classic and seccomp_check_filter):
/// 1 to 4096 instructions, only opcodes seccomp allows, word loads aligned and inside seccomp_data,
/// every jump inside the program, no division by a constant zero, and a return as the last instruction.
/// An invalid program throws <see cref="InvalidDataException"/> naming the instruction.
/// </summary>
internal static class ClassicBpfInterpreter
{
    public const int MaxInstructions = 4096;

    // Classes, sizes, modes, operations and sources of linux/bpf_common.h.
    private const int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
    private const int W = 0x00, IMM = 0x00, ABS = 0x20, MEM = 0x60, LEN = 0x80;
    private const int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
    private const int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    private const int K = 0x00, X = 0x08, A = 0x10;
    private const int TAX = 0x00, TXA = 0x80;
    private const int MemWords = 16;

    public static uint Run(ReadOnlySpan<SockFilterInstruction> program, SeccompData data)
    {
        Check(program);
        Span<byte> input = stackalloc byte[SeccompData.Size];
        data.WriteTo(input);
        Span<uint> memory = stackalloc uint[MemWords];
        uint a = 0, x = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var i = program[pc];
            switch (i.Code)
            {
                case LD | W | ABS: a = BinaryPrimitives.ReadUInt32LittleEndian(input[(int)i.K..]); break;
                case LD | W | LEN: a = SeccompData.Size; break;
                case LDX | W | LEN: x = SeccompData.Size; break;
                case LD | IMM: a = i.K; break;
                case LDX | IMM: x = i.K; break;
                case LD | MEM: a = memory[(int)i.K]; break;
                case LDX | MEM: x = memory[(int)i.K]; break;
                case ST: memory[(int)i.K] = a; break;
                case STX: memory[(int)i.K] = x; break;
                case RET | K: return i.K;
                case RET | A: return a;
                case MISC | TAX: x = a; break;
                case MISC | TXA: a = x; break;
                case JMP | JA: pc += (int)i.K; break;
                default:
                    if ((i.Code & 0x07) == ALU)
                        a = Alu(i.Code & 0xf0, a, (i.Code & X) != 0 ? x : i.K);
                    else if ((i.Code & 0x07) == JMP)
                        pc += Condition(i.Code & 0xf0, a, (i.Code & X) != 0 ? x : i.K) ? i.Jt : i.Jf;
                    else
                        throw new InvalidDataException($"instruction {pc}: opcode 0x{i.Code:x2} is not allowed in a seccomp filter");
                    break;
            }
        }
        throw new InvalidDataException("the program ran past its end");
    }

    /// <summary>The install-time checks; throws when the kernel would refuse the program with EINVAL.</summary>
    public static void Check(ReadOnlySpan<SockFilterInstruction> program)
    {
        if (program.Length is 0 or > MaxInstructions)
            throw new InvalidDataException($"{program.Length} instructions (1 to {MaxInstructions} allowed)");
        for (int pc = 0; pc < program.Length; pc++)
        {
            var i = program[pc];
            int cls = i.Code & 0x07;
            bool ok = i.Code switch
            {
                LD | W | ABS => i.K < SeccompData.Size && i.K % 4 == 0,
                LD | W | LEN or LDX | W | LEN or LD | IMM or LDX | IMM or RET | K or RET | A or MISC | TAX or MISC | TXA => true,
                LD | MEM or LDX | MEM or ST or STX => i.K < MemWords,
                JMP | JA => (long)pc + 1 + i.K < program.Length,
                _ when cls == ALU => IsAlu(i.Code) && !((i.Code & 0xf0) is DIV or MOD && (i.Code & X) == 0 && i.K == 0),
                _ when cls == JMP => (i.Code & 0xf0) is JEQ or JGT or JGE or JSET
                    && pc + 1 + i.Jt < program.Length && pc + 1 + i.Jf < program.Length,
                _ => false,
            };
            if (!ok)
                throw new InvalidDataException($"instruction {pc} {i} is invalid (bad opcode, load offset or jump target)");
        }
        if ((program[^1].Code & 0x07) != RET)
            throw new InvalidDataException("the last instruction is not a return");
    }

    private static bool IsAlu(int code) => (code & 0xf0) switch
    {
        ADD or SUB or MUL or DIV or OR or AND or LSH or RSH or MOD or XOR => true,
        NEG => code == (ALU | NEG),
        _ => false,
    };

    private static uint Alu(int op, uint a, uint operand) => op switch
    {
        ADD => a + operand,
        SUB => a - operand,
        MUL => a * operand,
        DIV or MOD when operand == 0 => throw new InvalidDataException("division by zero (the kernel would end the filter returning 0)"),
        DIV => a / operand,
        MOD => a % operand,
        OR => a | operand,
        AND => a & operand,
        LSH => operand >= 32 ? 0 : a << (int)operand,
        RSH => operand >= 32 ? 0 : a >> (int)operand,
        XOR => a ^ operand,
        NEG => (uint)-(int)a,
        _ => throw new InvalidDataException($"ALU operation 0x{op:x2}"),
    };

    private static bool Condition(int op, uint a, uint operand) => op switch
    {
        JEQ => a == operand,
        JGT => a > operand,
        JGE => a >= operand,
        JSET => (a & operand) != 0,
        _ => throw new InvalidDataException($"jump operation 0x{op:x2}"),
    };
}
