using SandboxRt.Cgroups.Devices;
using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;

namespace SandboxRt.IntegrationTests.Cgroups;

/// <summary>
/// The eBPF device controller against the real kernel: programs are loaded, attached to a scratch cgroup2
/// directory, and judged from inside the cgroup by a shell that tries the accesses.
/// </summary>
[Trait("Tier", "host")]
public sealed class DeviceFilterHostTests
{
    // /dev/null is c 1:3, /dev/zero is c 1:5. Writing /dev/null is the forbidden access in both rule sets;
    // reading /dev/null and /dev/zero stays allowed.
    private const string Script =
        "echo x > /dev/null && echo write-ok; " +
        "cat /dev/null && echo null-read-ok; " +
        "n=$(head -c1 /dev/zero | wc -c) && [ \"$n\" = 1 ] && echo read-ok";

    public static TheoryData<string> RuleSets => ["allow-list", "allow-all-but-null-write"];

    [Theory]
    [MemberData(nameof(RuleSets))]
    public async Task Writing_dev_null_is_denied_and_reading_dev_zero_works(string ruleSet)
    {
        await using var scratch = ScratchCgroup.Create();
        LinuxDeviceCgroup[] rules = ruleSet == "allow-list"
            ? [Rule(false, "a", null, null, "rwm"), Rule(true, "c", 1, 3, "r"), Rule(true, "c", 1, 5, "r")]
            : [Rule(true, "a", null, null, "rwm"), Rule(false, "c", 1, 3, "w")];
        scratch.Cgroup.Apply(new LinuxResources { Devices = [.. rules] });

        var (stdout, stderr, _) = await ShellInCgroup.RunAsync(scratch.Cgroup, Script);

        Assert.Equal("null-read-ok\nread-ok\n", stdout);
        Assert.Contains("/dev/null", stderr);
        Assert.Contains("Operation not permitted", stderr); // EPERM from the device cgroup
    }

    [Fact]
    public async Task Without_a_program_the_same_script_may_write_and_a_replaced_program_stops_applying()
    {
        await using var scratch = ScratchCgroup.Create();
        var (stdout, stderr, _) = await ShellInCgroup.RunAsync(scratch.Cgroup, Script);
        Assert.Equal("write-ok\nnull-read-ok\nread-ok\n", stdout);
        Assert.Equal("", stderr);

        scratch.Cgroup.ApplyDevices(DeviceFilterProgram.Compile([Rule(true, "a", null, null, "rwm"), Rule(false, "c", 1, 3, "w")]));
        (stdout, _, _) = await ShellInCgroup.RunAsync(scratch.Cgroup, Script);
        Assert.Equal("null-read-ok\nread-ok\n", stdout);

        // The new program is attached before the old one is detached; afterwards only the new one decides.
        scratch.Cgroup.ApplyDevices(DeviceFilterProgram.Compile([Rule(true, "a", null, null, "rwm")]));
        (stdout, _, _) = await ShellInCgroup.RunAsync(scratch.Cgroup, Script);
        Assert.Equal("write-ok\nnull-read-ok\nread-ok\n", stdout);
    }

    [Fact]
    public void A_program_the_verifier_rejects_fails_with_the_verifier_log()
    {
        TestEnvironment.RequireRoot();
        // r0 is never set before exit: the verifier says "R0 !read_ok".
        var bytes = new byte[8];
        new BpfInstruction(BpfOpcode.ExitInsn, 0, 0, 0, 0).Encode(bytes);
        var e = Assert.Throws<SyscallException>(() => BpfPrograms.LoadCgroupDevice(bytes, DeviceFilterProgram.License));
        Assert.Equal("bpf", e.Syscall);
        Assert.Equal(Errno.EACCES, e.Errno);
        Assert.Contains("BPF_PROG_LOAD", e.Message);
        Assert.Contains("R0 !read_ok", e.Message);
    }

    [Fact]
    public void Attaching_to_a_directory_that_is_not_a_cgroup_names_it()
    {
        TestEnvironment.RequireRoot();
        var program = DeviceFilterProgram.Compile([Rule(true, "a", null, null, "rwm")]);
        var e = Assert.Throws<SyscallException>(() => DeviceFilter.Attach("/tmp", program));
        Assert.Equal("bpf", e.Syscall);
        Assert.Contains("\"BPF_PROG_ATTACH\", \"/tmp\"", e.Message);
    }

    private static LinuxDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string? access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };
}
