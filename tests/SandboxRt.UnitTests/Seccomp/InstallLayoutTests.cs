using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SandboxRt.Interop;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>
/// The structures seccomp(2) reads, checked without installing anything (a filter cannot be removed,
/// so the real installation is left to the tests that run inside a VM).
/// </summary>
[Trait("Tier", "unit")]
public sealed class InstallLayoutTests
{
    [Fact]
    public void SockFilterInstruction_matches_struct_sock_filter()
    {
        Assert.Equal(8, Unsafe.SizeOf<SockFilterInstruction>());
        Assert.Equal(8, Marshal.SizeOf<SockFilterInstruction>());
        Assert.Equal(0, (int)Marshal.OffsetOf<SockFilterInstruction>(nameof(SockFilterInstruction.Code)));
        Assert.Equal(2, (int)Marshal.OffsetOf<SockFilterInstruction>(nameof(SockFilterInstruction.Jt)));
        Assert.Equal(3, (int)Marshal.OffsetOf<SockFilterInstruction>(nameof(SockFilterInstruction.Jf)));
        Assert.Equal(4, (int)Marshal.OffsetOf<SockFilterInstruction>(nameof(SockFilterInstruction.K)));

        var instruction = new SockFilterInstruction(0x15, 1, 2, 0x0403_0201);
        byte[] bytes = MemoryMarshal.AsBytes(new[] { instruction }.AsSpan()).ToArray();
        Assert.Equal(new byte[] { 0x15, 0x00, 1, 2, 0x01, 0x02, 0x03, 0x04 }, bytes);
    }

    [Fact]
    public void SockFprog_matches_struct_sock_fprog_on_x86_64()
    {
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer is 8-byte aligned.
        var type = typeof(SeccompFilter).Assembly.GetType("SandboxRt.Interop.Interop+SockFprog", throwOnError: true)!;
        Assert.Equal(16, Marshal.SizeOf(type));
        Assert.Equal(0, (int)Marshal.OffsetOf(type, "Length"));
        Assert.Equal(8, (int)Marshal.OffsetOf(type, "Filter"));
    }

    [Fact]
    public void Install_refuses_programs_the_kernel_would_refuse_before_calling_it()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SeccompFilter.Install([], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeccompFilter.Install(new SockFilterInstruction[SeccompFilter.MaxInstructions + 1], 0));
    }
}
