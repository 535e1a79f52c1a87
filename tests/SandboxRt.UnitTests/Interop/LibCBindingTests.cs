using System.Runtime.CompilerServices;
using SandboxRt.Interop;
using Tmds.Linux;
using Native = SandboxRt.Interop.Interop;

namespace SandboxRt.UnitTests.Bindings;

/// <summary>
/// Tmds.LibC serves our plain libc calls, constants and structs (src/common/SandboxRt.Interop/Interop/Interop.cs):
/// its errno must reach SyscallException, its constants must have the kernel's values, and the structs we
/// hand it must have its layout.
/// </summary>
[Trait("Tier", "unit")]
public sealed class LibCBindingTests
{
    [Fact]
    public void A_failing_open_through_Tmds_LibC_names_ENOENT_and_the_path()
    {
        var error = Assert.Throws<SyscallException>(() => FileDescriptors.Open("/nonexistent-sandboxrt/x", FileDescriptors.ReadOnly));

        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal("open", error.Syscall);
        Assert.Contains("/nonexistent-sandboxrt/x", error.Message);
    }

    [Fact]
    public void Errno_is_read_from_the_call_that_failed_not_an_earlier_one()
    {
        // ENOTDIR, then EBADF, then ENOENT: each read right after its call sees its own value.
        Assert.True(Native.Open("/etc/hostname/x", LibC.O_RDONLY | LibC.O_CLOEXEC, 0) < 0);
        Assert.Equal(Errno.ENOTDIR, SyscallException.LastErrno);
        Assert.True(Native.Close(-1) < 0);
        Assert.Equal(Errno.EBADF, SyscallException.LastErrno);
        Assert.True(Native.Mount(null, "/nonexistent-sandboxrt", null, (ulong)LibC.MS_BIND, null) < 0);
        Assert.Equal(Errno.ENOENT, SyscallException.LastErrno);
        Assert.True(Native.Unshare(-1) < 0);
        Assert.Equal(Errno.EINVAL, SyscallException.LastErrno);
    }

    [Fact]
    public void Our_errno_names_have_the_values_Tmds_LibC_gives_them()
    {
        var libc = typeof(LibC);
        int compared = 0;
        foreach (var name in Enum.GetNames<Errno>())
        {
            if (libc.GetProperty(name) is not { } property)
                continue;
            Assert.True((int)Enum.Parse<Errno>(name) == (int)property.GetValue(null)!, name);
            compared++;
        }
        Assert.True(compared > 50, $"only {compared} errno names compared");
    }

    [Fact]
    public void The_structs_we_pass_to_Tmds_LibC_have_its_layout()
    {
        Assert.Equal(Unsafe.SizeOf<msghdr>(), Unsafe.SizeOf<Native.MsgHdr>());
        Assert.Equal(Unsafe.SizeOf<iovec>(), Unsafe.SizeOf<Native.IoVec>());
        Assert.Equal(Unsafe.SizeOf<cmsghdr>(), Unsafe.SizeOf<Native.CmsgHdr>());
        Assert.True(Native.TermiosSize >= Unsafe.SizeOf<termios>());
    }

    [Fact]
    public void The_constants_we_still_declare_are_ones_Tmds_LibC_lacks()
    {
        // Ours stay only where Tmds.LibC 0.5.0 has no such name; a newer Tmds.LibC that adds one should take it over.
        foreach (var name in new[] { "AT_RECURSIVE", "STATX_MNT_ID", "SEEK_DATA", "SEEK_HOLE", "CLOSE_RANGE_CLOEXEC", "OPEN_TREE_CLONE", "P_PID", "WEXITED" })
            Assert.Null(typeof(LibC).GetProperty(name));
    }
}
