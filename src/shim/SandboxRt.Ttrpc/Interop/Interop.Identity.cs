using System.Runtime.InteropServices;

namespace SandboxRt.Ttrpc;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    [LibraryImport(Libc, EntryPoint = "getegid")]
    internal static partial uint GetEgid();
}
