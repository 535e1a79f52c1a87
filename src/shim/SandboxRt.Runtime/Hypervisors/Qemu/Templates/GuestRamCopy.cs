using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// A clone's private copy of the template's RAM. Not a private mapping of the template file: QEMU 7.2
/// opens a memory-backend-file read-write even for share=off (a QEMU that escaped its guest could then
/// write into every later clone's memory), and vhost-user (virtiofsd) needs shared memory, which a
/// private mapping is not. Only the pages the template's guest touched are copied: the template file's
/// holes are skipped without reading them (SEEK_DATA/SEEK_HOLE) and runs of zeros inside its data stay
/// holes, so a 512 MiB guest costs what its kernel and agent used.
/// </summary>
internal static class GuestRamCopy
{
    private const int Chunk = 256 * 1024;

    /// <summary>Copies <paramref name="template"/> into a new file at <paramref name="target"/> (mode 0600); returns the bytes written.</summary>
    public static long Copy(string template, string target)
    {
        using var source = File.OpenHandle(template, FileMode.Open, FileAccess.Read);
        using var destination = Storage.PrivateFiles.OpenHandle(target, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        long length = RandomAccess.GetLength(source);
        RandomAccess.SetLength(destination, length);
        var buffer = GC.AllocateUninitializedArray<byte>(Chunk);
        long written = 0;
        foreach (var (start, size) in SparseFile.DataRanges(source, template))
        {
            long end = Math.Min(start + size, length);
            for (long offset = start; offset < end;)
            {
                int n = RandomAccess.Read(source, buffer.AsSpan(0, (int)Math.Min(Chunk, end - offset)), offset);
                if (n <= 0)
                    break;
                var data = buffer.AsSpan(0, n);
                if (data.IndexOfAnyExcept((byte)0) >= 0)
                {
                    RandomAccess.Write(destination, data, offset);
                    written += n;
                }
                offset += n;
            }
        }
        return written;
    }
}
