using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

[Trait("Tier", "unit")]
public sealed class ArchitectureTests
{
    private static SeccompProgram Compile(params string[] architectures)
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read", "execve", "chown32", "socketcall"]));
        profile.Architectures = [.. architectures];
        return SeccompCompiler.Compile(profile);
    }

    [Fact]
    public void An_empty_list_means_native_only()
    {
        var program = Compile();
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "read"));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "close"));
        Assert.Equal(SeccompReturn.KillProcess, Run(program, AuditArch.I386, 3));
    }

    [Fact]
    public void I386_rules_use_the_32_bit_numbers()
    {
        var program = Compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X86");
        Assert.Equal(SeccompReturn.Allow, Run(program, AuditArch.I386, 3)); // i386 read
        Assert.Equal(SeccompReturn.Allow, Run(program, AuditArch.I386, 11)); // i386 execve
        Assert.Equal(SeccompReturn.Allow, Run(program, AuditArch.I386, 212)); // chown32
        Assert.Equal(SeccompReturn.Allow, Run(program, AuditArch.I386, 102)); // socketcall
        Assert.Equal(Eperm, Run(program, AuditArch.I386, 0)); // i386 restart_syscall, although 0 is read on x86_64
        Assert.Equal(Eperm, Run(program, AuditArch.X86_64, 3)); // close on x86_64, although 3 is read on i386
        Assert.Equal(SeccompReturn.Allow, Run(program, AuditArch.X86_64, 0));
    }

    [Fact]
    public void X32_calls_match_x32_rules_only_when_x32_is_listed()
    {
        var withX32 = Compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X32");
        Assert.Equal(SeccompReturn.Allow, Run(withX32, AuditArch.X86_64, 0x40000000)); // x32 read
        Assert.Equal(SeccompReturn.Allow, Run(withX32, AuditArch.X86_64, 0x40000000 | 520)); // x32 execve
        Assert.Equal(Eperm, Run(withX32, AuditArch.X86_64, 0x40000000 | 59)); // 64-bit execve number with the x32 bit
        Assert.Equal(SeccompReturn.Allow, Run(withX32, AuditArch.X86_64, 59)); // native execve is unaffected

        var native = Compile("SCMP_ARCH_X86_64");
        Assert.Equal(Eperm, Run(native, AuditArch.X86_64, 0x40000000)); // read with the x32 bit is not a 64-bit read
        Assert.Equal(Eperm, Run(native, AuditArch.X86_64, 0x40000000 | 520));
        Assert.Equal(SeccompReturn.Allow, Run(native, AuditArch.X86_64, 0));
    }

    [Fact]
    public void Numbers_at_or_above_the_x32_bit_never_reach_64_bit_rules()
    {
        var program = Compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X32");
        Assert.Equal(Eperm, Run(program, AuditArch.X86_64, 0xffffffff)); // nr -1 (a tracer skipping the call)
        Assert.Equal(Eperm, Run(program, AuditArch.X86_64, 0x80000000));
    }

    [Fact]
    public void Architectures_that_are_not_listed_are_killed()
    {
        var program = Compile("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        Assert.Equal(SeccompReturn.KillProcess, Run(program, AuditArchAarch64, 63));
        Assert.Equal(SeccompReturn.KillProcess, Run(program, 0, 0));
    }

    [Fact]
    public void Foreign_architectures_are_accepted_reported_and_still_killed()
    {
        var program = Compile("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
        Assert.Equal(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], program.IgnoredArchitectures);
        Assert.Equal(SeccompReturn.KillProcess, Run(program, AuditArchAarch64, 63));
    }

    [Fact]
    public void Listing_an_architecture_twice_adds_one_section()
    {
        Assert.Equal(Compile("SCMP_ARCH_X86").Instructions.Length, Compile("SCMP_ARCH_X86", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64").Instructions.Length);
    }

    [Fact]
    public void Unknown_syscall_names_are_ignored_and_reported()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read", "not_a_syscall", "chown32", "not_a_syscall"]));
        var native = SeccompCompiler.Compile(profile);
        Assert.Equal(["not_a_syscall", "chown32"], native.IgnoredSyscalls);
        Assert.Equal(SeccompReturn.Allow, Run(native, SyscallTable.X86_64, "read"));

        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"];
        var both = SeccompCompiler.Compile(profile);
        Assert.Equal(["not_a_syscall"], both.IgnoredSyscalls);
        Assert.Equal(SeccompReturn.Allow, Run(both, SyscallTable.I386, "chown32"));
    }

    [Fact]
    public void A_profile_whose_names_are_all_unknown_still_compiles_to_the_default_action()
    {
        var program = SeccompCompiler.Compile(new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_ALLOW",
            Syscalls = [Rule("SCMP_ACT_ERRNO", ["no_such_call"])],
        });
        Assert.Equal(["no_such_call"], program.IgnoredSyscalls);
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "read"));
    }
}
