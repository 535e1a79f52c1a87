using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const ulong SIOCGIFFLAGS = 0x8913;
    internal const ulong SIOCSIFFLAGS = 0x8914;
    internal const short IFF_UP = 0x1;

    /// <summary>struct ifreq with the ifr_flags member (40 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal unsafe struct IfReqFlags
    {
        [FieldOffset(0)] public fixed byte Name[16];
        [FieldOffset(16)] public short Flags;
    }
}
