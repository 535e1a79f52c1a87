using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>Every refusal names the field, in the "linux.seccomp...: text" form the spec validator uses.</summary>
[Trait("Tier", "unit")]
public sealed class ProfileErrorTests
{
    private static string Error(LinuxSeccomp profile) => Assert.Throws<ArgumentException>(() => SeccompCompiler.Compile(profile)).Message;

    [Fact]
    public void Unknown_actions_name_the_entry()
    {
        Assert.Equal("linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_BOGUS'",
            Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read"]), Rule("SCMP_ACT_BOGUS", ["write"]))));
        Assert.Equal("linux.seccomp.defaultAction: unknown action ''", Error(Profile("")));
    }

    [Fact]
    public void Unknown_operators_and_bad_indexes_name_the_argument()
    {
        Assert.StartsWith("linux.seccomp.syscalls[0].args[1].op: unknown operator 'SCMP_CMP_SORTA'",
            Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", Arg(0, "SCMP_CMP_EQ", 1), Arg(1, "SCMP_CMP_SORTA", 1)))));
        Assert.StartsWith("linux.seccomp.syscalls[0].args[0].index: 6",
            Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "read", Arg(6, "SCMP_CMP_EQ", 1)))));
    }

    [Fact]
    public void Notify_is_not_supported_and_says_where()
    {
        var profile = Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read"]), Rule("SCMP_ACT_ALLOW", ["write"]), Rule("SCMP_ACT_NOTIFY", ["mount"]));
        var e = Assert.Throws<NotSupportedException>(() => SeccompCompiler.Compile(profile));
        Assert.StartsWith("linux.seccomp.syscalls[2].action: SCMP_ACT_NOTIFY", e.Message);
        Assert.Throws<NotSupportedException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_NOTIFY")));
    }

    [Fact]
    public void Unknown_flags_and_architectures_are_named()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NEW_LISTENER"];
        Assert.StartsWith("linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'", Error(profile));

        profile = Profile("SCMP_ACT_ALLOW");
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"];
        Assert.Equal("linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'", Error(profile));
    }

    [Fact]
    public void Errno_values_are_checked()
    {
        Assert.StartsWith("linux.seccomp.syscalls[0].errnoRet: is only meaningful for SCMP_ACT_ERRNO and SCMP_ACT_TRACE",
            Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read"], errnoRet: 1))));
        Assert.StartsWith("linux.seccomp.syscalls[0].errnoRet: 65536",
            Error(Profile("SCMP_ACT_ALLOW", Rule("SCMP_ACT_ERRNO", ["read"], errnoRet: 65536))));
        Assert.StartsWith("linux.seccomp.defaultErrnoRet:",
            Error(new LinuxSeccomp { DefaultAction = "SCMP_ACT_KILL", DefaultErrnoRet = 1 }));
    }

    [Fact]
    public void Empty_names_are_refused()
    {
        Assert.Equal("linux.seccomp.syscalls[0].names: is empty", Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", Array.Empty<string>()))));
        Assert.Equal("linux.seccomp.syscalls[0].names[1]: is empty", Error(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", ["read", ""]))));
    }
}
