using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int Execve(string path, byte** argv, byte** envp);

    [LibraryImport(Libc, EntryPoint = "chdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Chdir(string path);

    [LibraryImport(Libc, EntryPoint = "setsid", SetLastError = true)]
    internal static partial int Setsid();

    [LibraryImport(Libc, EntryPoint = "prlimit", SetLastError = true)]
    internal static unsafe partial int Prlimit(int pid, int resource, ulong* newLimit, ulong* oldLimit);
}
