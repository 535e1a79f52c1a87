using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>
/// The data ranges of a sparse file, found with lseek(SEEK_DATA/SEEK_HOLE) instead of reading the holes
/// (a VM template's 512 MiB RAM file holds about 70 MiB of data in a handful of extents).
/// </summary>
public static class SparseFile
{
    /// <summary>The (offset, length) of each data range of <paramref name="file"/>, in order, up to its length at the call.</summary>
    public static List<(long Offset, long Length)> DataRanges(SafeHandle file, string path)
    {
        using var fd = new FdRef(file);
        var ranges = new List<(long, long)>();
        long offset = 0;
        while (true)
        {
            long start = Interop.Lseek(fd.Fd, offset, Interop.SEEK_DATA);
            if (start < 0)
            {
                if (SyscallException.LastErrno == Errno.ENXIO) // no data at or after offset
                    return ranges;
                throw new SyscallException("lseek", SyscallException.LastErrno, path, "SEEK_DATA");
            }
            long end = Check.Io(Interop.Lseek(fd.Fd, start, Interop.SEEK_HOLE), "lseek", path, "SEEK_HOLE");
            ranges.Add((start, end - start));
            offset = end;
        }
    }
}
