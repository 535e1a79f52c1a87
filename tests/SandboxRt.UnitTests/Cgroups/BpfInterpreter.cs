using SandboxRt.Cgroups.Devices;

namespace SandboxRt.UnitTests.Cgroups;

/// <summary>
/// Runs a device program the way the kernel would, for the instructions the compiler emits, and checks
/// what the verifier would reject: unknown opcodes, jumps out of the program, unreachable instructions,
/// falling off the end.
/// </summary>
internal static class BpfInterpreter
{
    /// <summary>Returns r0 for the request (type, access, major, minor) as struct bpf_cgroup_dev_ctx.</summary>
    public static ulong Run(IReadOnlyList<BpfInstruction> program, int type, int access, uint major, uint minor)
    {
        var context = new uint[] { (uint)(access << 16 | type), major, minor };
        var r = new ulong[11];
        r[1] = 0xC0_0000; // a pointer: only loads relative to it are allowed
        for (int pc = 0, steps = 0; ; pc++, steps++)
        {
            if (pc < 0 || pc >= program.Count)
                throw new InvalidOperationException($"pc {pc} is outside the program");
            if (steps > 10_000)
                throw new InvalidOperationException("loop");
            var i = program[pc];
            switch (i.Code)
            {
                case BpfOpcode.LoadWord:
                    if (r[i.Src] != 0xC0_0000 || i.Offset % 4 != 0 || i.Offset / 4 >= context.Length)
                        throw new InvalidOperationException($"{pc}: bad context load {i}");
                    r[i.Dst] = context[i.Offset / 4];
                    break;
                case BpfOpcode.AndImm32: r[i.Dst] = (uint)r[i.Dst] & (uint)i.Immediate; break;
                case BpfOpcode.RshImm32: r[i.Dst] = (uint)r[i.Dst] >> i.Immediate; break;
                case BpfOpcode.MovImm32: r[i.Dst] = (uint)i.Immediate; break;
                case BpfOpcode.MovReg32: r[i.Dst] = (uint)r[i.Src]; break;
                case BpfOpcode.JeqImm: if (r[i.Dst] == (ulong)(long)i.Immediate) pc += i.Offset; break;
                case BpfOpcode.JneImm: if (r[i.Dst] != (ulong)(long)i.Immediate) pc += i.Offset; break;
                case BpfOpcode.JneReg: if (r[i.Dst] != r[i.Src]) pc += i.Offset; break;
                case BpfOpcode.ExitInsn: return r[0];
                default: throw new InvalidOperationException($"{pc}: unexpected opcode {i}");
            }
        }
    }

    /// <summary>The indices of instructions no path reaches (the verifier's "unreachable insn").</summary>
    public static List<int> Unreachable(IReadOnlyList<BpfInstruction> program)
    {
        var seen = new bool[program.Count];
        var work = new Stack<int>([0]);
        while (work.Count > 0)
        {
            int pc = work.Pop();
            if (pc < 0 || pc >= program.Count)
                throw new InvalidOperationException($"a path leaves the program at {pc}");
            if (seen[pc])
                continue;
            seen[pc] = true;
            var code = program[pc].Code;
            if (code == BpfOpcode.ExitInsn)
                continue;
            work.Push(pc + 1);
            if ((code & 0x07) == BpfOpcode.Jmp)
                work.Push(pc + 1 + program[pc].Offset);
        }
        return Enumerable.Range(0, program.Count).Where(i => !seen[i]).ToList();
    }
}
