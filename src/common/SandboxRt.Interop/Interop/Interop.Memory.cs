using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    /// <summary>madvise(MADV_DONTNEED) over [start, start + length).</summary>
    internal static unsafe int MadviseDontNeed(nint start, nint length) =>
        LibC.madvise((void*)start, (size_t)(ulong)length, LibC.MADV_DONTNEED);
}
