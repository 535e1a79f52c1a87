using SandboxRt.Cgroups.Devices;
using SandboxRt.Cgroups.Resources;
using SandboxRt.Oci.Spec;

namespace SandboxRt.UnitTests.Cgroups;

[Trait("Tier", "unit")]
public sealed class DeviceFilterProgramTests
{
    private const int Block = DeviceFilterProgram.TypeBlock, Char = DeviceFilterProgram.TypeChar;
    private const int R = DeviceFilterProgram.AccessRead, W = DeviceFilterProgram.AccessWrite, M = DeviceFilterProgram.AccessMknod;

    [Fact]
    public void Rules_compile_from_last_to_first_after_the_context_prologue()
    {
        var program = DeviceFilterProgram.Compile(
        [
            Rule(false, "a", null, null, "rwm"),
            Rule(true, "c", 1, 3, "rw"),
            Rule(false, "c", 1, 3, "w"),
        ]);
        Assert.Equal(
            """
               0: r2 = *(u32 *)(r1 + 0)
               1: w2 &= 0xffff
               2: r3 = *(u32 *)(r1 + 0)
               3: w3 >>= 16
               4: r4 = *(u32 *)(r1 + 4)
               5: r5 = *(u32 *)(r1 + 8)
               6: if r2 != 2 goto +7
               7: w1 = w3
               8: w1 &= 0x4
               9: if r1 == 0 goto +4
              10: if r4 != 1 goto +3
              11: if r5 != 3 goto +2
              12: w0 = 0
              13: exit
              14: if r2 != 2 goto +7
              15: w1 = w3
              16: w1 &= 0x6
              17: if r1 != r3 goto +4
              18: if r4 != 1 goto +3
              19: if r5 != 3 goto +2
              20: w0 = 1
              21: exit
              22: w0 = 0
              23: exit

            """,
            program.ToString());
    }

    [Fact]
    public void Instructions_encode_as_struct_bpf_insn()
    {
        var program = DeviceFilterProgram.Compile([Rule(true, "b", 8, null, "r")]);
        var bytes = program.Encode();
        Assert.Equal(program.Instructions.Count * 8, bytes.Length);
        // r2 = *(u32 *)(r1 + 0): opcode 0x61, dst 2 in the low nibble, src 1 in the high nibble
        Assert.Equal(new byte[] { 0x61, 0x12, 0, 0, 0, 0, 0, 0 }, bytes[..8]);
        // r5 = *(u32 *)(r1 + 8)
        Assert.Equal(new byte[] { 0x61, 0x15, 8, 0, 0, 0, 0, 0 }, bytes[40..48]);
        // if r2 != 1 (block) goto +6
        Assert.Equal(new byte[] { 0x55, 0x02, 6, 0, 1, 0, 0, 0 }, bytes[48..56]);
        for (int i = 0; i < program.Instructions.Count; i++)
            Assert.Equal(program.Instructions[i], BpfInstruction.Decode(bytes.AsSpan(i * 8)));
    }

    public static TheoryData<string, LinuxDeviceCgroup[], int, int, uint, uint, bool> Decisions => new()
    {
        { "no rules: deny", [], Char, R, 1, 3, false },
        { "allow-list: listed", DockerLike, Char, R | W, 1, 3, true },
        { "allow-list: unlisted", DockerLike, Char, R, 10, 200, false },
        { "allow-list: mknod of any char device", DockerLike, Char, M, 42, 7, true },
        { "allow-list: mknod of any block device", DockerLike, Block, M, 8, 0, true },
        { "allow-list: block read", DockerLike, Block, R, 8, 0, false },
        { "allow-list: minor wildcard", DockerLike, Char, W, 136, 17, true },
        { "type must match", DockerLike, Block, R, 1, 3, false },
        { "last match wins: denied write", AllowAllButNullWrite, Char, W, 1, 3, false },
        { "last match wins: read still allowed", AllowAllButNullWrite, Char, R, 1, 3, true },
        { "deny matches any overlap: O_RDWR", AllowAllButNullWrite, Char, R | W, 1, 3, false },
        { "other minors untouched", AllowAllButNullWrite, Char, W, 1, 5, true },
        { "block devices untouched", AllowAllButNullWrite, Block, W, 1, 3, true },
        { "a later allow overrides an earlier deny", [Rule(false, "c", 1, 3, "rwm"), Rule(true, "c", 1, 3, "r")], Char, R, 1, 3, true },
        { "split allows do not add up", [Rule(true, "c", 1, 3, "r"), Rule(true, "c", 1, 3, "w")], Char, R | W, 1, 3, false },
        { "split allows each work", [Rule(true, "c", 1, 3, "r"), Rule(true, "c", 1, 3, "w")], Char, W, 1, 3, true },
        { "absent access means rwm", [Rule(true, "c", 1, 3, null)], Char, R | W | M, 1, 3, true },
        { "absent type means all", [Rule(true, null, 7, null, "r")], Block, R, 7, 1, true },
        { "-1 major means any", [Rule(true, "c", -1, 9, "r")], Char, R, 300, 9, true },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Programs_decide_like_ordered_v1_rules(string why, LinuxDeviceCgroup[] rules, int type, int access, uint major, uint minor, bool allowed)
    {
        var program = DeviceFilterProgram.Compile(rules);
        Assert.Empty(BpfInterpreter.Unreachable(program.Instructions));
        var verdict = BpfInterpreter.Run(program.Instructions, type, access, major, minor);
        Assert.True(verdict == (allowed ? 1ul : 0ul), $"{why}: got {verdict}\n{program}");
    }

    [Fact]
    public void Nothing_is_emitted_after_a_rule_that_always_matches()
    {
        // Reading from the end, "allow a *:* rwm" decides every request: the rules before it and the
        // default verdict would be unreachable, which the verifier rejects.
        var program = DeviceFilterProgram.Compile([Rule(false, "c", 1, 3, "w"), Rule(true, "a", null, null, "rwm")]);
        Assert.Equal(6 + 2, program.Instructions.Count);
        Assert.Empty(BpfInterpreter.Unreachable(program.Instructions));
        Assert.Equal(1ul, BpfInterpreter.Run(program.Instructions, Char, W, 1, 3));
    }

    [Theory]
    [InlineData("p", "rwm", 1L, 3L, "linux.resources.devices[1].type", "\"p\" is not a (all), b (block) or c (char)")]
    [InlineData("c", "rx", 1L, 3L, "linux.resources.devices[1].access", "'x' in \"rx\" is not r, w or m")]
    [InlineData("c", "r", -2L, 3L, "linux.resources.devices[1].major", "-2 is not a device number")]
    [InlineData("c", "r", 1L, 4294967296L, "linux.resources.devices[1].minor", "4294967296 is not a device number")]
    public void Bad_rules_name_their_field(string type, string access, long major, long minor, string field, string problem)
    {
        var e = Assert.Throws<CgroupResourceException>(() =>
            DeviceFilterProgram.Compile([Rule(true, "c", 1, 3, "r"), Rule(true, type, major, minor, access)]));
        Assert.Equal(field, e.Field);
        Assert.Equal($"{field}: {problem}", e.Message);
    }

    private static LinuxDeviceCgroup[] DockerLike =>
    [
        Rule(false, "a", null, null, "rwm"),
        Rule(true, "c", null, null, "m"),
        Rule(true, "b", null, null, "m"),
        Rule(true, "c", 1, 3, "rwm"),
        Rule(true, "c", 1, 5, "rwm"),
        Rule(true, "c", 136, null, "rwm"),
    ];

    private static LinuxDeviceCgroup[] AllowAllButNullWrite => [Rule(true, "a", null, null, "rwm"), Rule(false, "c", 1, 3, "w")];

    private static LinuxDeviceCgroup Rule(bool allow, string? type, long? major, long? minor, string? access) =>
        new() { Allow = allow, Type = type, Major = major, Minor = minor, Access = access };
}
