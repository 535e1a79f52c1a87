using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>What a device node is: character or block, and its major and minor numbers (from stat).</summary>
public sealed record DeviceNode(bool Character, uint Major, uint Minor)
{
    private const uint S_IFMT = 0xF000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;

    /// <summary>stat()s <paramref name="path"/> (following symlinks) and returns its device numbers.</summary>
    public static unsafe DeviceNode Of(string path)
    {
        byte* buffer = stackalloc byte[Interop.StatSize];
        Check.Io(Interop.FStatAt(LibC.AT_FDCWD, path, buffer, 0), "stat", path);
        return FromStat(buffer) ?? throw new SyscallException("stat", Errno.ENODEV, path);
    }

    /// <summary>fstat()s an open descriptor: its device numbers, or null when it is not a device node.</summary>
    public static unsafe DeviceNode? OfDescriptor(System.Runtime.InteropServices.SafeHandle handle)
    {
        const int AT_EMPTY_PATH = 0x1000;
        using var fd = new FdRef(handle);
        byte* buffer = stackalloc byte[Interop.StatSize];
        Check.Io(Interop.FStatAt(fd.Fd, "", buffer, AT_EMPTY_PATH), "fstat");
        return FromStat(buffer);
    }

    private static unsafe DeviceNode? FromStat(byte* buffer)
    {
        uint mode = *(uint*)(buffer + Interop.StatModeOffset);
        ulong rdev = *(ulong*)(buffer + Interop.StatRdevOffset);
        uint type = mode & S_IFMT;
        if (type != S_IFCHR && type != S_IFBLK)
            return null;
        // glibc's gnu_dev_major/gnu_dev_minor
        uint major = (uint)(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffUL));
        uint minor = (uint)((rdev & 0xff) | ((rdev >> 12) & ~0xffUL));
        return new DeviceNode(type == S_IFCHR, major, minor);
    }
}
