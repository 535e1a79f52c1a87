using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // Ours: Tmds.LibC has no waitpid.
    [LibraryImport(Libc, EntryPoint = "waitpid", SetLastError = true)]
    internal static unsafe partial int WaitPid(int pid, int* status, int options);

    internal static int Kill(int pid, int signal) => LibC.kill(pid, signal);

    internal static int GetPid() => LibC.getpid();

    internal static int GetPpid() => LibC.getppid();

    internal static uint GetEuid() => LibC.geteuid();
}
