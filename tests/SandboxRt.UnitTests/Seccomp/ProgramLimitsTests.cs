using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>Large profiles: 8-bit jump offsets and BPF_MAXINSNS.</summary>
[Trait("Tier", "unit")]
public sealed class ProgramLimitsTests
{
    private const ushort JumpAlways = 0x05;

    private static readonly string[] Names = SyscallTable.X86_64.Names.Where(n => n is not "ioctl").Order(StringComparer.Ordinal).Take(30).ToArray();

    /// <summary>Rule i: args[i % 6] == a value above 2^32 unique to i, returning errno i + 1.</summary>
    private static LinuxSyscall SyntheticRule(int i, string name)
    {
        var rule = Rule("SCMP_ACT_ERRNO", name, Arg((uint)(i % 6), "SCMP_CMP_EQ", ValueOf(i)));
        rule.ErrnoRet = (uint)i + 1;
        return rule;
    }

    private static ulong ValueOf(int i) => ((ulong)(i + 1) << 33) | (uint)(i * 7 + 1);

    private static string NameOf(int i) => i < 300 ? Names[i % Names.Length] : "ioctl";

    [Fact]
    public void Four_hundred_rules_compile_within_the_limits_and_each_one_still_decides()
    {
        // 300 rules spread over 30 calls (10 each), and 100 on ioctl: a block far longer than 255 instructions.
        var rules = Enumerable.Range(0, 400).Select(i => SyntheticRule(i, NameOf(i))).ToArray();
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", rules));
        var instructions = program.Instructions.AsSpan();

        ClassicBpfInterpreter.Check(instructions);
        Assert.InRange(instructions.Length, 400 * 5, SeccompFilter.MaxInstructions);
        Assert.True(program.Instructions.Count(i => i.Code == JumpAlways) >= 2, "the ioctl block should be skipped with ja");

        for (int i = 0; i < 400; i++)
        {
            var args = new ulong[6];
            args[i % 6] = ValueOf(i);
            uint result = Run(program, SyscallTable.X86_64, NameOf(i), args);
            Assert.True(SeccompReturn.Errno + (uint)i + 1 == result, $"rule {i} ({NameOf(i)}): got 0x{result:x8}");
        }
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "ioctl", 1, 2, 3, 4, 5, 6));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, Names[0]));
    }

    [Fact]
    public void More_names_than_one_jump_can_span_share_returns_in_several_runs()
    {
        var names = SyscallTable.X86_64.Names.ToArray();
        Assert.True(names.Length > 300);
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", names)));
        ClassicBpfInterpreter.Check(program.Instructions.AsSpan());
        foreach (var name in names)
            Assert.True(SeccompReturn.Allow == Run(program, SyscallTable.X86_64, name), name);
        Assert.Equal(Eperm, Run(program, AuditArch.X86_64, 1000));
    }

    [Fact]
    public void Docker_sized_profiles_for_three_abis_fit()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", SyscallTable.I386.Names.Concat(SyscallTable.X86_64.Names).Distinct().ToArray()));
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        var program = SeccompCompiler.Compile(profile);
        ClassicBpfInterpreter.Check(program.Instructions.AsSpan());
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X32, "execve"));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.I386, "socketcall"));
    }

    [Fact]
    public void A_program_over_bpf_maxinsns_is_refused()
    {
        var rules = Enumerable.Range(0, 1000).Select(i => SyntheticRule(i, Names[i % Names.Length])).ToArray();
        var e = Assert.Throws<ArgumentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", rules)));
        Assert.Contains("linux.seccomp", e.Message);
        Assert.Contains("4096", e.Message);
    }

    [Fact]
    public void Conditions_per_entry_are_bounded_so_a_rule_can_always_be_skipped()
    {
        var args = Enumerable.Range(0, 32).Select(i => Arg((uint)(i % 6), "SCMP_CMP_MASKED_EQ", 0xffff_ffff_ffff_ffff, 0)).ToArray();
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "ioctl", args)));
        Assert.Equal(SeccompReturn.Allow, Run(program, SyscallTable.X86_64, "ioctl"));
        Assert.Equal(Eperm, Run(program, SyscallTable.X86_64, "ioctl", 0, 0, 0, 0, 0, 1));

        var tooMany = Enumerable.Range(0, 33).Select(i => Arg(0, "SCMP_CMP_NE", (ulong)i + 100)).ToArray();
        var e = Assert.Throws<ArgumentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "ioctl", tooMany))));
        Assert.StartsWith("linux.seccomp.syscalls[0].args:", e.Message);
    }
}
