using SandboxRt.Interop;

namespace SandboxRt.Seccomp.Bpf;

/// <summary>
/// Builds a classic BPF program with symbolic forward jumps. Conditional jumps name a label (or null for
/// "the next instruction"); <see cref="Build"/> turns labels into the relative byte offsets of
/// struct sock_filter and refuses any jump that a byte cannot hold, so a layout mistake surfaces here
/// instead of as a kernel EINVAL. A built program has relative jumps only, so it can be appended to
/// another program as a fragment as long as none of its jumps leaves it.
/// </summary>
internal sealed class BpfAssembler
{
    private const int FallThrough = -1;

    private readonly List<Entry> _entries = new();
    private readonly List<int> _labelPositions = new();

    public int Count => _entries.Count;

    public BpfLabel NewLabel()
    {
        _labelPositions.Add(-1);
        return new BpfLabel(_labelPositions.Count - 1);
    }

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Mark(BpfLabel label)
    {
        if (_labelPositions[label.Id] >= 0)
            throw new InvalidOperationException($"BPF label {label.Id} is placed twice");
        _labelPositions[label.Id] = _entries.Count;
    }

    public void Load(uint offset) => _entries.Add(new Entry(BpfOpcodes.LoadWordAbsolute, FallThrough, FallThrough, offset, Literal: false));

    public void And(uint mask) => _entries.Add(new Entry(BpfOpcodes.AndConstant, FallThrough, FallThrough, mask, Literal: false));

    public void Return(uint value) => _entries.Add(new Entry(BpfOpcodes.ReturnConstant, FallThrough, FallThrough, value, Literal: false));

    /// <summary>A conditional jump comparing A with <paramref name="k"/>; null targets mean the next instruction.</summary>
    public void Jump(ushort opcode, uint k, BpfLabel? whenTrue, BpfLabel? whenFalse) =>
        _entries.Add(new Entry(opcode, whenTrue?.Id ?? FallThrough, whenFalse?.Id ?? FallThrough, k, Literal: false));

    /// <summary>An unconditional jump; its offset is 32 bits, so it reaches past any block.</summary>
    public void JumpTo(BpfLabel target) => _entries.Add(new Entry(BpfOpcodes.JumpAlways, target.Id, FallThrough, 0, Literal: false));

    /// <summary>Appends an already built program whose jumps all stay inside it.</summary>
    public void Append(ReadOnlySpan<SockFilterInstruction> fragment)
    {
        foreach (var instruction in fragment)
            _entries.Add(new Entry(instruction.Code, instruction.Jt, instruction.Jf, instruction.K, Literal: true));
    }

    public SockFilterInstruction[] Build()
    {
        var program = new SockFilterInstruction[_entries.Count];
        for (int i = 0; i < _entries.Count; i++)
        {
            var e = _entries[i];
            if (e.Literal)
                program[i] = new SockFilterInstruction(e.Code, (byte)e.Jt, (byte)e.Jf, e.K);
            else if (e.Code == BpfOpcodes.JumpAlways)
                program[i] = new SockFilterInstruction(e.Code, 0, 0, (uint)Offset(i, e.Jt, int.MaxValue));
            else
                program[i] = new SockFilterInstruction(e.Code, (byte)Offset(i, e.Jt, BpfOpcodes.MaxConditionalJump), (byte)Offset(i, e.Jf, BpfOpcodes.MaxConditionalJump), e.K);
        }
        return program;
    }

    private int Offset(int from, int label, int limit)
    {
        if (label == FallThrough)
            return 0;
        int target = _labelPositions[label];
        if (target < 0)
            throw new InvalidOperationException($"BPF label {label} is used but never placed");
        int offset = target - (from + 1);
        if (offset < 0 || target >= _entries.Count || offset > limit)
            throw new InvalidOperationException($"BPF instruction {from} cannot jump to {target} (offset {offset}, limit {limit}, program length {_entries.Count})");
        return offset;
    }

    private readonly record struct Entry(ushort Code, int Jt, int Jf, uint K, bool Literal);
}
