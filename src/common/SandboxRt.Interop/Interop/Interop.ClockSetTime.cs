using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int CLOCK_REALTIME = 0;

    [LibraryImport(Libc, EntryPoint = "clock_settime", SetLastError = true)]
    internal static unsafe partial int ClockSetTime(int clock, Timespec* value);
}
