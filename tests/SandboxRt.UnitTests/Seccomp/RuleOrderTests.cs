using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>First match in profile order decides; conditions of one entry must all hold.</summary>
[Trait("Tier", "unit")]
public sealed class RuleOrderTests
{
    private static uint Errno(uint errno) => SeccompReturn.Errno | errno;

    private static LinuxSyscall ErrnoRule(uint errno, string name, params LinuxSeccompArg[] args)
    {
        var rule = Rule("SCMP_ACT_ERRNO", name, args);
        rule.ErrnoRet = errno;
        return rule;
    }

    [Fact]
    public void The_first_matching_entry_decides()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            ErrnoRule(11, "personality", Arg(0, "SCMP_CMP_EQ", 0)),
            ErrnoRule(12, "personality", Arg(0, "SCMP_CMP_LT", 10)),
            Rule("SCMP_ACT_ERRNO", ["personality"], errnoRet: 13)));
        Assert.Equal(Errno(11), Run(program, SyscallTable.X86_64, "personality", 0));
        Assert.Equal(Errno(12), Run(program, SyscallTable.X86_64, "personality", 9));
        Assert.Equal(Errno(13), Run(program, SyscallTable.X86_64, "personality", 10));
    }

    [Fact]
    public void An_entry_without_conditions_shadows_the_entries_after_it()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_LOG", ["read"]),
            Rule("SCMP_ACT_ALLOW", "read", Arg(0, "SCMP_CMP_EQ", 0))));
        Assert.Equal(SeccompReturn.Log, Run(program, SyscallTable.X86_64, "read", 0));
        Assert.Equal(SeccompReturn.Log, Run(program, SyscallTable.X86_64, "read", 1));
    }

    [Fact]
    public void All_conditions_of_an_entry_must_hold()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", "write", Arg(0, "SCMP_CMP_EQ", 1), Arg(2, "SCMP_CMP_LT", 10), Arg(2, "SCMP_CMP_GE", 2))));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "write", 1, 0, 5));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "write", 1, 0, 2));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "write", 1, 0, 10));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "write", 1, 0, 1));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "write", 2, 0, 5));
    }

    [Fact]
    public void Entries_for_the_same_name_combine_in_profile_order()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", ["read", "write"]),
            Rule("SCMP_ACT_TRAP", "ioctl", Arg(1, "SCMP_CMP_EQ", 0x5401)),
            Rule("SCMP_ACT_ALLOW", ["ioctl", "close"]),
            Rule("SCMP_ACT_KILL", ["write"])));
        Assert.Equal(SeccompReturn.Trap, Run(program, SyscallTable.X86_64, "ioctl", 0, 0x5401));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "ioctl", 0, 0x5402));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "write"));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "close"));
    }

    [Fact]
    public void An_entry_with_the_default_action_still_shadows_later_entries()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ERRNO", "kill", Arg(1, "SCMP_CMP_EQ", 9)),
            Rule("SCMP_ACT_ALLOW", ["kill"]),
            Rule("SCMP_ACT_ERRNO", "kill", Arg(1, "SCMP_CMP_EQ", 15))));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "kill", 1, 9));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "kill", 1, 15));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "kill", 1, 2));
    }

    [Fact]
    public void A_call_whose_entries_all_give_the_default_action_costs_no_instructions()
    {
        var plain = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read"])));
        var padded = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            Rule("SCMP_ACT_ALLOW", ["read"]),
            Rule("SCMP_ACT_ERRNO", "mount", Arg(0, "SCMP_CMP_EQ", 0)),
            Rule("SCMP_ACT_ERRNO", ["umount2"])));
        Assert.Equal(plain.Instructions.Length, padded.Instructions.Length);
        Assert.Equal(Eperm, Run(padded, SyscallTable.X86_64, "mount", 0));
    }

    [Fact]
    public void Calls_without_entries_get_the_default_action()
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_LOG", Rule("SCMP_ACT_ERRNO", ["mount"])));
        Assert.Equal(SeccompReturn.Log, Run(program, SyscallTable.X86_64, "read"));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "mount"));
    }
}
