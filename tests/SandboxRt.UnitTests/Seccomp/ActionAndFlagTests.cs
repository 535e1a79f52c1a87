using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

[Trait("Tier", "unit")]
public sealed class ActionAndFlagTests
{
    [Theory]
    [InlineData("SCMP_ACT_KILL", null, 0x00000000u)]
    [InlineData("SCMP_ACT_KILL_THREAD", null, 0x00000000u)]
    [InlineData("SCMP_ACT_KILL_PROCESS", null, 0x80000000u)]
    [InlineData("SCMP_ACT_TRAP", null, 0x00030000u)]
    [InlineData("SCMP_ACT_ERRNO", null, 0x00050001u)]
    [InlineData("SCMP_ACT_ERRNO", 38u, 0x00050026u)]
    [InlineData("SCMP_ACT_ERRNO", 0u, 0x00050000u)]
    [InlineData("SCMP_ACT_TRACE", null, 0x7ff00000u)]
    [InlineData("SCMP_ACT_TRACE", 1234u, 0x7ff004d2u)]
    [InlineData("SCMP_ACT_LOG", null, 0x7ffc0000u)]
    [InlineData("SCMP_ACT_ALLOW", null, 0x7fff0000u)]
    public void Actions_become_seccomp_return_values(string action, uint? errnoRet, uint expected)
    {
        var rule = Rule(action, ["getpid"], errnoRet);
        var asRule = SeccompCompiler.Compile(Profile(action == "SCMP_ACT_ALLOW" ? "SCMP_ACT_LOG" : "SCMP_ACT_ALLOW", rule));
        Assert.Equal(expected, Run(asRule, SyscallTable.X86_64, "getpid"));

        var asDefault = SeccompCompiler.Compile(new LinuxSeccomp { DefaultAction = action, DefaultErrnoRet = errnoRet });
        Assert.Equal(expected, Run(asDefault, SyscallTable.X86_64, "getpid"));
    }

    [Fact]
    public void Flags_are_collected()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];
        Assert.Equal(SeccompFilterFlags.Log | SeccompFilterFlags.SpecAllow, SeccompCompiler.Compile(profile).Flags);
        profile.Flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];
        Assert.Equal(7u, (uint)SeccompCompiler.Compile(profile).Flags);
        profile.Flags = null;
        Assert.Equal(SeccompFilterFlags.None, SeccompCompiler.Compile(profile).Flags);
    }
}
