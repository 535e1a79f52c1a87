using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    internal static unsafe int Execve(string path, byte** argv, byte** envp)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.execve(p, argv, envp);
    }

    internal static unsafe int Chdir(string path)
    {
        fixed (byte* p = Utf8z(path))
            return LibC.chdir(p);
    }

    internal static int Setsid() => LibC.setsid();

    // Ours: Tmds.LibC has no prlimit.
    [LibraryImport(Libc, EntryPoint = "prlimit", SetLastError = true)]
    internal static unsafe partial int Prlimit(int pid, int resource, ulong* newLimit, ulong* oldLimit);
}
