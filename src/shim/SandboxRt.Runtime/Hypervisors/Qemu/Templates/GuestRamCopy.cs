using Microsoft.Win32.SafeHandles;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// A clone's private copy of the template's RAM. Not a private mapping of the template file: QEMU 7.2
/// opens a memory-backend-file read-write even for share=off (a QEMU that escaped its guest could then
/// write into every later clone's memory), and vhost-user (virtiofsd) needs shared memory, which a
/// private mapping is not. Only the pages the template's guest touched are copied: the template file's
/// holes are skipped without reading them (SEEK_DATA/SEEK_HOLE) and zero pages inside its data stay
/// holes, so a 512 MiB guest costs what its kernel and agent used.
/// </summary>
internal static class GuestRamCopy
{
    private const int Chunk = 256 * 1024;

    /// <summary>Copies <paramref name="template"/> into a new file at <paramref name="target"/> (mode 0600); returns the bytes written.</summary>
    public static long Copy(string template, string target)
    {
        using var destination = Create(template, target);
        return CopyInto(template, destination);
    }

    /// <summary>
    /// Makes <paramref name="target"/> (mode 0600, never over an existing file) the size of
    /// <paramref name="template"/>, all holes, for <see cref="CopyInto"/> to fill: a QEMU may map it
    /// meanwhile, as long as its guest does not run before the copy is done (an incoming QEMU writes no RAM).
    /// </summary>
    public static SafeFileHandle Create(string template, string target)
    {
        long length = new FileInfo(template).Length;
        var destination = Storage.PrivateFiles.OpenHandle(target, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        try
        {
            RandomAccess.SetLength(destination, length);
            return destination;
        }
        catch
        {
            destination.Dispose();
            throw;
        }
    }

    /// <summary>Writes the pages of <paramref name="template"/> that hold data into <paramref name="destination"/> (made by <see cref="Create"/>); returns the bytes written.</summary>
    public static long CopyInto(string template, SafeFileHandle destination)
    {
        using var source = File.OpenHandle(template, FileMode.Open, FileAccess.Read);
        long length = RandomAccess.GetLength(destination);
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
                written += WriteNonZeroPages(destination, buffer.AsSpan(0, n), offset);
                offset += n;
            }
        }
        return written;
    }

    private const int Page = 4096;

    /// <summary>Writes the runs of pages of <paramref name="data"/> that are not all zeros (a zero page stays a hole); returns the bytes written.</summary>
    private static long WriteNonZeroPages(SafeFileHandle destination, ReadOnlySpan<byte> data, long offset)
    {
        long written = 0;
        int run = -1; // start of the current run of non-zero pages
        for (int page = 0; page <= data.Length; page += Page)
        {
            bool zero = page == data.Length || data.Slice(page, Math.Min(Page, data.Length - page)).IndexOfAnyExcept((byte)0) < 0;
            if (!zero && run < 0)
                run = page;
            else if (zero && run >= 0)
            {
                RandomAccess.Write(destination, data[run..page], offset + run);
                written += page - run;
                run = -1;
            }
        }
        return written;
    }
}
