using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int CLOCK_BOOTTIME = 7;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Libc, EntryPoint = "clock_gettime", SetLastError = true)]
    internal static unsafe partial int ClockGetTime(int clock, Timespec* value);
}
