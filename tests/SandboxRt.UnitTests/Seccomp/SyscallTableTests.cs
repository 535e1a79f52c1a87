using SandboxRt.Seccomp;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>Spot checks against arch/x86/entry/syscalls/syscall_64.tbl and syscall_32.tbl.</summary>
[Trait("Tier", "unit")]
public sealed class SyscallTableTests
{
    [Theory]
    [InlineData("read", 0)]
    [InlineData("rt_sigaction", 13)]
    [InlineData("ioctl", 16)]
    [InlineData("clone", 56)]
    [InlineData("execve", 59)]
    [InlineData("ptrace", 101)]
    [InlineData("uselib", 134)]
    [InlineData("personality", 135)]
    [InlineData("mount", 165)]
    [InlineData("umount2", 166)]
    [InlineData("reboot", 169)]
    [InlineData("init_module", 175)]
    [InlineData("futex", 202)]
    [InlineData("keyctl", 250)]
    [InlineData("unshare", 272)]
    [InlineData("setns", 308)]
    [InlineData("seccomp", 317)]
    [InlineData("pidfd_send_signal", 424)]
    [InlineData("clone3", 435)]
    [InlineData("close_range", 436)]
    [InlineData("openat2", 437)]
    [InlineData("pidfd_getfd", 438)]
    [InlineData("faccessat2", 439)]
    [InlineData("process_madvise", 440)]
    [InlineData("epoll_pwait2", 441)]
    [InlineData("mount_setattr", 442)]
    [InlineData("quotactl_fd", 443)]
    [InlineData("landlock_create_ruleset", 444)]
    [InlineData("landlock_add_rule", 445)]
    [InlineData("landlock_restrict_self", 446)]
    [InlineData("memfd_secret", 447)]
    [InlineData("process_mrelease", 448)]
    [InlineData("futex_waitv", 449)]
    [InlineData("set_mempolicy_home_node", 450)]
    [InlineData("cachestat", 451)]
    [InlineData("fchmodat2", 452)]
    [InlineData("mseal", 462)]
    public void X86_64_numbers(string name, int number)
    {
        Assert.True(SyscallTable.X86_64.TryGetNumber(name, out uint nr), name);
        Assert.Equal((uint)number, nr);
    }

    [Theory]
    [InlineData("restart_syscall", 0)]
    [InlineData("read", 3)]
    [InlineData("execve", 11)]
    [InlineData("mount", 21)]
    [InlineData("umount", 22)]
    [InlineData("socketcall", 102)]
    [InlineData("ipc", 117)]
    [InlineData("clone", 120)]
    [InlineData("personality", 136)]
    [InlineData("mmap2", 192)]
    [InlineData("chown32", 212)]
    [InlineData("set_thread_area", 243)]
    [InlineData("clock_gettime64", 403)]
    [InlineData("clone3", 435)]
    [InlineData("set_mempolicy_home_node", 450)]
    public void I386_numbers(string name, int number)
    {
        Assert.True(SyscallTable.I386.TryGetNumber(name, out uint nr), name);
        Assert.Equal((uint)number, nr);
    }

    [Theory]
    [InlineData("read", 0)]
    [InlineData("clone", 56)]
    [InlineData("clone3", 435)]
    [InlineData("rt_sigaction", 512)]
    [InlineData("ioctl", 514)]
    [InlineData("execve", 520)]
    [InlineData("ptrace", 521)]
    [InlineData("pwritev2", 547)]
    public void X32_numbers_carry_the_x32_bit(string name, int number)
    {
        Assert.True(SyscallTable.X32.TryGetNumber(name, out uint nr), name);
        Assert.Equal(0x40000000u | (uint)number, nr);
    }

    [Fact]
    public void Each_table_knows_only_its_own_abi()
    {
        Assert.False(SyscallTable.X86_64.TryGetNumber("chown32", out _));
        Assert.False(SyscallTable.X86_64.TryGetNumber("socketcall", out _));
        Assert.False(SyscallTable.I386.TryGetNumber("newfstatat", out _));
        Assert.False(SyscallTable.X32.TryGetNumber("uselib", out _)); // a "64" row: not in x32
        Assert.False(SyscallTable.X86_64.TryGetNumber("not_a_syscall", out _));
    }

    [Fact]
    public void Numbers_are_unique_and_the_tables_are_complete()
    {
        foreach (var table in new[] { SyscallTable.X86_64, SyscallTable.I386, SyscallTable.X32 })
        {
            var numbers = table.Names.Select(n => { table.TryGetNumber(n, out uint nr); return nr; }).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
            Assert.InRange(table.Count, 340, 480);
        }
        Assert.Equal(AuditArch.X86_64, SyscallTable.X32.AuditArch);
        Assert.Equal(0xC000003Eu, SyscallTable.X86_64.AuditArch);
        Assert.Equal(0x40000003u, SyscallTable.I386.AuditArch);
    }
}
