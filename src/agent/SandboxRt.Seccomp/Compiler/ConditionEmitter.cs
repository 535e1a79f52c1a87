using SandboxRt.Seccomp.Bpf;

namespace SandboxRt.Seccomp.Compiler;

/// <summary>
/// Emits the test of one 64-bit argument condition with 32-bit classic BPF. Code falls through to the
/// next instruction when the condition holds and jumps to <c>fail</c> when it does not. Each half of
/// the argument is loaded separately (args[i] low word at 16 + 8i, high word at +4: little endian).
/// The ordered comparisons decide on the high words and look at the low words only when those are equal.
/// At most 6 instructions per condition (see <see cref="SeccompProfileReader.MaxConditionsPerRule"/>).
/// </summary>
internal static class ConditionEmitter
{
    public static void Emit(BpfAssembler asm, ArgumentCondition condition, BpfLabel fail)
    {
        uint low = BpfOpcodes.ArgLow(condition.Index), high = BpfOpcodes.ArgHigh(condition.Index);
        uint valueHigh = (uint)(condition.Value >> 32), valueLow = (uint)condition.Value;
        var pass = asm.NewLabel();
        switch (condition.Operator)
        {
            case ComparisonOperator.Equal:
                asm.Load(high);
                asm.Jump(BpfOpcodes.JumpEqual, valueHigh, null, fail);
                asm.Load(low);
                asm.Jump(BpfOpcodes.JumpEqual, valueLow, null, fail);
                break;
            case ComparisonOperator.NotEqual:
                asm.Load(high);
                asm.Jump(BpfOpcodes.JumpEqual, valueHigh, null, pass);
                asm.Load(low);
                asm.Jump(BpfOpcodes.JumpEqual, valueLow, fail, null);
                break;
            case ComparisonOperator.GreaterThan or ComparisonOperator.GreaterOrEqual:
                // high > v.high: holds; high < v.high: fails; equal: the low words decide.
                asm.Load(high);
                asm.Jump(BpfOpcodes.JumpGreater, valueHigh, pass, null);
                asm.Jump(BpfOpcodes.JumpEqual, valueHigh, null, fail);
                asm.Load(low);
                asm.Jump(condition.Operator == ComparisonOperator.GreaterThan ? BpfOpcodes.JumpGreater : BpfOpcodes.JumpGreaterOrEqual,
                    valueLow, null, fail);
                break;
            case ComparisonOperator.LessThan or ComparisonOperator.LessOrEqual:
                // high < v.high: holds; high > v.high: fails; equal: the low words decide.
                asm.Load(high);
                asm.Jump(BpfOpcodes.JumpGreaterOrEqual, valueHigh, null, pass);
                asm.Jump(BpfOpcodes.JumpEqual, valueHigh, null, fail);
                asm.Load(low);
                asm.Jump(condition.Operator == ComparisonOperator.LessThan ? BpfOpcodes.JumpGreaterOrEqual : BpfOpcodes.JumpGreater,
                    valueLow, fail, null);
                break;
            case ComparisonOperator.MaskedEqual:
                uint wantHigh = (uint)(condition.ValueTwo >> 32), wantLow = (uint)condition.ValueTwo;
                asm.Load(high);
                asm.And(valueHigh);
                asm.Jump(BpfOpcodes.JumpEqual, wantHigh, null, fail);
                asm.Load(low);
                asm.And(valueLow);
                asm.Jump(BpfOpcodes.JumpEqual, wantLow, null, fail);
                break;
            default:
                throw new InvalidOperationException($"unknown operator {condition.Operator}");
        }
        asm.Mark(pass);
    }
}
