using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    /// <summary>struct statfs on 64-bit Linux: 120 bytes; f_type at 0, f_bsize at 8, f_blocks at 16, f_frsize at 72.</summary>
    internal const int StatfsSize = 120;

    [LibraryImport(Libc, EntryPoint = "statfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static unsafe partial int Statfs(string path, byte* buffer);
}
