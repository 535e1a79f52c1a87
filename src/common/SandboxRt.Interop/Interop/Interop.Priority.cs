using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal const int PRIO_PROCESS = 0;

    [LibraryImport(Libc, EntryPoint = "setpriority", SetLastError = true)]
    internal static partial int SetPriority(int which, uint who, int priority);
}
