using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "waitpid", SetLastError = true)]
    internal static unsafe partial int WaitPid(int pid, int* status, int options);

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "getpid")]
    internal static partial int GetPid();

    [LibraryImport(Libc, EntryPoint = "getppid")]
    internal static partial int GetPpid();

    [LibraryImport(Libc, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}
