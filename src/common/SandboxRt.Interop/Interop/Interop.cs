using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>
/// Raw libc bindings. Every entry point is declared in one of the Interop.*.cs files next to this one,
/// one topic per file; nothing outside this folder sees an int file descriptor or an errno number.
/// "libc" resolves to libc.so.6 on glibc (the runtime maps the name); the agent links it directly.
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
