using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>Docker's default profile, as docker run hands it to the runtime (fixture docker-run.json).</summary>
[Trait("Tier", "unit")]
public sealed class DockerProfileTests
{
    private const ulong CloneNewUser = 0x10000000;
    private const ulong Sigchld = 17;

    private static readonly SeccompProgram Program = SeccompCompiler.Compile(DockerProfile());

    [Fact]
    public void The_program_passes_the_kernels_checks_and_fits_with_room_to_spare()
    {
        ClassicBpfInterpreter.Check(Program.Instructions.AsSpan());
        Assert.InRange(Program.Instructions.Length, 100, 2048);
        TestContext.Current.SendDiagnosticMessage($"docker default profile: {Program.Instructions.Length} instructions");
    }

    [Theory]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("unshare")]
    [InlineData("keyctl")]
    [InlineData("reboot")]
    [InlineData("init_module")]
    [InlineData("setns")]
    [InlineData("bpf")]
    public void Privileged_calls_fail_with_eperm(string name) =>
        Assert.Equal(Eperm, Run(Program, SyscallTable.X86_64, name));

    [Theory]
    [InlineData("read")]
    [InlineData("write")]
    [InlineData("execve")]
    [InlineData("futex")]
    [InlineData("ptrace")]
    [InlineData("arch_prctl")]
    [InlineData("chroot")]
    public void Ordinary_calls_are_allowed(string name) =>
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.X86_64, name));

    [Fact]
    public void Every_name_of_the_allow_list_that_x86_64_has_is_allowed()
    {
        var profile = DockerProfile();
        int checkedNames = 0;
        foreach (var name in profile.Syscalls![0].Names)
            if (SyscallTable.X86_64.TryGetNumber(name, out uint nr))
            {
                Assert.True(SeccompReturn.Allow == Run(Program, AuditArch.X86_64, nr), name);
                checkedNames++;
            }
        Assert.True(checkedNames > 250, $"only {checkedNames} names checked");
    }

    [Theory]
    [InlineData(0UL, SeccompReturn.Allow)]
    [InlineData(8UL, SeccompReturn.Allow)]
    [InlineData(0x20000UL, SeccompReturn.Allow)]
    [InlineData(0x20008UL, SeccompReturn.Allow)]
    [InlineData(0xffffffffUL, SeccompReturn.Allow)]
    [InlineData(1UL, Eperm)]
    [InlineData(0x0040000UL, Eperm)]
    [InlineData(0x1_0000_0000UL, Eperm)]
    [InlineData(0xffff_ffff_0000_0000UL, Eperm)]
    public void Personality_is_allowed_only_for_the_listed_personas(ulong persona, uint expected) =>
        Assert.Equal(expected, Run(Program, SyscallTable.X86_64, "personality", persona));

    [Fact]
    public void Clone_is_allowed_without_namespace_flags_and_denied_with_clone_newuser()
    {
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.X86_64, "clone", Sigchld));
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.X86_64, "clone", 0x3d0f00)); // what pthread_create passes
        Assert.Equal(Eperm, Run(Program, SyscallTable.X86_64, "clone", CloneNewUser | Sigchld));
        Assert.Equal(Eperm, Run(Program, SyscallTable.X86_64, "clone", 0x20000000 | Sigchld)); // CLONE_NEWPID
        // The mask covers the low word only: bits above 32 are not namespace flags (CLONE_CLEAR_SIGHAND is clone3-only).
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.X86_64, "clone", 0x1_0000_0000 | Sigchld));
    }

    [Fact]
    public void Clone3_fails_with_enosys_so_that_libc_falls_back_to_clone() =>
        Assert.Equal(SeccompReturn.Errno | 38, Run(Program, SyscallTable.X86_64, "clone3"));

    [Fact]
    public void Thirty_two_bit_processes_get_the_i386_numbers()
    {
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.I386, "socketcall"));
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.I386, "chown32"));
        Assert.Equal(SeccompReturn.Allow, Run(Program, SyscallTable.I386, "read"));
        Assert.Equal(Eperm, Run(Program, AuditArch.I386, 21)); // i386 mount
        Assert.Equal(Eperm, Run(Program, SyscallTable.I386, "clone", CloneNewUser));
        Assert.Equal(SeccompReturn.Errno | 38, Run(Program, SyscallTable.I386, "clone3"));
    }

    [Fact]
    public void X32_processes_get_the_x32_numbers()
    {
        Assert.Equal(SeccompReturn.Allow, Run(Program, AuditArch.X86_64, 0x40000000 | 0)); // x32 read
        Assert.Equal(SeccompReturn.Allow, Run(Program, AuditArch.X86_64, 0x40000000 | 520)); // x32 execve
        Assert.Equal(Eperm, Run(Program, AuditArch.X86_64, 0x40000000 | 59)); // the 64-bit execve number is not an x32 call
        Assert.Equal(Eperm, Run(Program, AuditArch.X86_64, 0x40000000 | 165)); // x32 mount
    }

    [Fact]
    public void Other_architectures_are_killed() =>
        Assert.Equal(SeccompReturn.KillProcess, Run(Program, AuditArchAarch64, 63));

    [Fact]
    public void Only_recv_and_send_are_ignored_since_no_x86_abi_has_them()
    {
        Assert.Equal(["recv", "send"], Program.IgnoredSyscalls);
        Assert.Empty(Program.IgnoredArchitectures);
        Assert.Equal(SeccompFilterFlags.None, Program.Flags);
    }
}
