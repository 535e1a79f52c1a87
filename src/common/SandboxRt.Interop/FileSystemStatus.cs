using System.Buffers.Binary;

namespace SandboxRt.Interop;

/// <summary>What statfs(2) says about the file system a path is on: its type and size.</summary>
public readonly record struct FileSystemStatus(long Type, ulong SizeBytes)
{
    /// <summary>TMPFS_MAGIC (linux/magic.h).</summary>
    public const long TmpfsMagic = 0x01021994;

    public bool IsTmpfs => Type == TmpfsMagic;

    /// <summary>statfs(2) of <paramref name="path"/>; SyscallException when it fails.</summary>
    public static unsafe FileSystemStatus Of(string path)
    {
        Span<byte> buffer = stackalloc byte[Interop.StatfsSize];
        fixed (byte* p = buffer)
            Check.Io(Interop.Statfs(path, p), "statfs", path);
        var blocks = BinaryPrimitives.ReadUInt64LittleEndian(buffer[16..]);
        var fragment = BinaryPrimitives.ReadInt64LittleEndian(buffer[72..]);
        var blockSize = fragment > 0 ? fragment : BinaryPrimitives.ReadInt64LittleEndian(buffer[8..]);
        return new FileSystemStatus(BinaryPrimitives.ReadInt64LittleEndian(buffer), blocks * (ulong)blockSize);
    }
}
