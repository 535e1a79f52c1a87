using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>
/// One classic BPF instruction, laid out exactly as <c>struct sock_filter</c> (linux/filter.h):
/// a 16-bit opcode, the jump offsets taken when a conditional jump is true and false (relative to the
/// next instruction, so forward only and at most 255), and a 32-bit constant. 8 bytes, no padding.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct SockFilterInstruction : IEquatable<SockFilterInstruction>
{
    public readonly ushort Code;
    public readonly byte Jt;
    public readonly byte Jf;
    public readonly uint K;

    public SockFilterInstruction(ushort code, byte jt, byte jf, uint k)
    {
        Code = code;
        Jt = jt;
        Jf = jf;
        K = k;
    }

    public bool Equals(SockFilterInstruction other) => Code == other.Code && Jt == other.Jt && Jf == other.Jf && K == other.K;

    public override bool Equals(object? obj) => obj is SockFilterInstruction other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Code, Jt, Jf, K);

    public static bool operator ==(SockFilterInstruction left, SockFilterInstruction right) => left.Equals(right);

    public static bool operator !=(SockFilterInstruction left, SockFilterInstruction right) => !left.Equals(right);

    /// <summary>The form bpf_dbg and libseccomp's debug output use: <c>{ 0x15, 0, 3, 0x0000003b }</c>.</summary>
    public override string ToString() => $"{{ 0x{Code:x2}, {Jt}, {Jf}, 0x{K:x8} }}";
}
