using SandboxRt.Interop;
using SandboxRt.Seccomp.Bpf;

namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// Lays out the BPF program for a <see cref="SeccompPolicy"/>. The layout and the reasons for it are
/// described at the top of SeccompCompiler.cs.
/// </summary>
internal static class SeccompCodeGenerator
{
    /// <summary>The most names one shared return serves: the first jeq of a run jumps over all the others.</summary>
    internal const int MaxRun = BpfOpcodes.MaxConditionalJump;

    public static SockFilterInstruction[] Generate(SeccompPolicy policy)
    {
        var asm = new BpfAssembler();
        // x32 shares AUDIT_ARCH_X86_64 and is told apart by the number, inside the x86_64 section.
        var dispatched = policy.Architectures.Where(t => t != SyscallTable.X32).ToList();
        var sections = dispatched.Select(_ => asm.NewLabel()).ToList();
        bool hasX32 = policy.Architectures.Contains(SyscallTable.X32);
        var x32Section = asm.NewLabel();

        asm.Load(BpfOpcodes.OffsetArch);
        for (int i = 0; i < dispatched.Count; i++)
        {
            var next = asm.NewLabel();
            asm.Jump(BpfOpcodes.JumpEqual, dispatched[i].AuditArch, null, next);
            asm.JumpTo(sections[i]);
            asm.Mark(next);
        }
        asm.Return(SeccompReturn.KillProcess);

        for (int i = 0; i < dispatched.Count; i++)
        {
            asm.Mark(sections[i]);
            asm.Load(BpfOpcodes.OffsetNr);
            if (dispatched[i] == SyscallTable.X86_64)
            {
                // An x86_64-arch number with the x32 bit (or any larger one, such as -1) is never a 64-bit call.
                var native = asm.NewLabel();
                asm.Jump(BpfOpcodes.JumpGreaterOrEqual, SyscallTable.X32SyscallBit, null, native);
                if (hasX32)
                    asm.JumpTo(x32Section);
                else
                    asm.Return(policy.DefaultAction);
                asm.Mark(native);
            }
            EmitSyscalls(asm, dispatched[i], policy);
        }
        if (hasX32)
        {
            asm.Mark(x32Section);
            asm.Load(BpfOpcodes.OffsetNr);
            EmitSyscalls(asm, SyscallTable.X32, policy);
        }
        return asm.Build();
    }

    /// <summary>
    /// The rules that can change the outcome, in order: none after the first unconditional one (never
    /// reached), and no trailing rule returning the default action (the result is the default either way).
    /// </summary>
    internal static List<SyscallRule> EffectiveRules(IReadOnlyList<SyscallRule> rules, uint defaultAction)
    {
        var effective = new List<SyscallRule>();
        foreach (var rule in rules)
        {
            effective.Add(rule);
            if (rule.IsUnconditional)
                break;
        }
        while (effective.Count > 0 && effective[^1].Action == defaultAction)
            effective.RemoveAt(effective.Count - 1);
        return effective;
    }

    private static void EmitSyscalls(BpfAssembler asm, SyscallTable table, SeccompPolicy policy)
    {
        var order = new List<uint>();
        var rulesByNumber = new Dictionary<uint, List<SyscallRule>>();
        foreach (var (name, rule) in policy.Rules)
        {
            if (!table.TryGetNumber(name, out uint number))
                continue;
            if (!rulesByNumber.TryGetValue(number, out var list))
            {
                rulesByNumber[number] = list = new List<SyscallRule>();
                order.Add(number);
            }
            list.Add(rule);
        }

        var runs = new List<(uint Action, List<uint> Numbers)>();
        var blocks = new List<(uint Number, List<SyscallRule> Rules)>();
        foreach (uint number in order)
        {
            var rules = EffectiveRules(rulesByNumber[number], policy.DefaultAction);
            if (rules.Count == 0)
                continue;
            if (rules is [{ IsUnconditional: true } only])
            {
                int run = runs.FindIndex(r => r.Action == only.Action);
                if (run < 0)
                    runs.Add((only.Action, [number]));
                else
                    runs[run].Numbers.Add(number);
            }
            else
                blocks.Add((number, rules));
        }

        foreach (var (action, numbers) in runs)
            foreach (var chunk in numbers.Chunk(MaxRun))
                EmitRun(asm, chunk, action);
        foreach (var (number, rules) in blocks)
            EmitBlock(asm, number, BuildBlock(rules, policy.DefaultAction));
        asm.Return(policy.DefaultAction);
    }

    /// <summary>jeq n1, ret; jeq n2, ret; ...; jeq nk, ret, after; ret: return action; after:</summary>
    private static void EmitRun(BpfAssembler asm, uint[] numbers, uint action)
    {
        var ret = asm.NewLabel();
        var after = asm.NewLabel();
        for (int i = 0; i < numbers.Length; i++)
            asm.Jump(BpfOpcodes.JumpEqual, numbers[i], ret, i == numbers.Length - 1 ? after : null);
        asm.Mark(ret);
        asm.Return(action);
        asm.Mark(after);
    }

    /// <summary>jeq n, 0, len(block); block. A block too long for a byte offset is skipped with ja instead.</summary>
    private static void EmitBlock(BpfAssembler asm, uint number, SockFilterInstruction[] block)
    {
        var skip = asm.NewLabel();
        if (block.Length <= BpfOpcodes.MaxConditionalJump)
            asm.Jump(BpfOpcodes.JumpEqual, number, null, skip);
        else
        {
            var start = asm.NewLabel();
            asm.Jump(BpfOpcodes.JumpEqual, number, start, null);
            asm.JumpTo(skip);
            asm.Mark(start);
        }
        asm.Append(block);
        asm.Mark(skip);
    }

    /// <summary>
    /// One syscall's rules in order: each rule's conditions jump to the next rule on the first one that
    /// fails, and return the rule's action when all hold; after the last rule, the default action.
    /// </summary>
    private static SockFilterInstruction[] BuildBlock(List<SyscallRule> rules, uint defaultAction)
    {
        var block = new BpfAssembler();
        foreach (var rule in rules)
        {
            if (rule.IsUnconditional)
            {
                block.Return(rule.Action);
                return block.Build();
            }
            var nextRule = block.NewLabel();
            foreach (var condition in rule.Conditions)
                ConditionEmitter.Emit(block, condition, nextRule);
            block.Return(rule.Action);
            block.Mark(nextRule);
        }
        block.Return(defaultAction);
        return block.Build();
    }
}
