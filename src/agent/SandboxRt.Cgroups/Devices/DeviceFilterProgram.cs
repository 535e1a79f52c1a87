using System.Text;
using SandboxRt.Oci.Spec;
using Block = System.Collections.Generic.List<(SandboxRt.Cgroups.Devices.BpfInstruction Instruction, bool ToNextBlock)>;

namespace SandboxRt.Cgroups.Devices;

/// <summary>
/// The cgroup v2 device controller: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE compiled
/// from OCI <c>linux.resources.devices</c>.
/// </summary>
/// <remarks>
/// How the program decides (the structure follows runc's libcontainer/cgroups/devices/devicefilter.go,
/// which follows crun's ebpf.c):
/// <list type="bullet">
/// <item>The kernel calls it with struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
/// in r1, where access_type = (BPF_DEVCG_ACC_* &lt;&lt; 16) | BPF_DEVCG_DEV_*. The prologue loads
/// type into r2, access into r3, major into r4, minor into r5. Returning 1 allows, 0 denies.</item>
/// <item>OCI rules are ordered and the last matching rule wins (as writes to v1's devices.allow and
/// devices.deny did), so the rules are emitted from the last to the first, each as a block that
/// returns its verdict on a match and otherwise jumps to the next block. After the first rule
/// (from the end) that matches unconditionally nothing else is emitted: the verifier rejects
/// unreachable instructions. When no rule matches, the device is denied.</item>
/// <item>One open can ask for several accesses at once (O_RDWR asks for read|write). An allow rule
/// matches only when it grants every requested access; a deny rule matches when it forbids any of
/// them. Both choices fail closed: the program never allows what v1 would deny. The one case where it
/// is stricter than v1: an allow for r and a separate allow for w on the same device do not add up to
/// an allow for r|w (v1 merged them). Give such a device one rule with "rw".</item>
/// <item>Type "a" (or absent), major/minor null or -1, and access absent mean "any". runc rewrites
/// rules through a v1 emulator first and rejects some wildcard combinations; here the rules given are
/// compiled as they are (the agent adds runc's default device list itself).</item>
/// </list>
/// </remarks>
public sealed class DeviceFilterProgram
{
    /// <summary>The license string passed to BPF_PROG_LOAD (the program calls no GPL-only helper).</summary>
    public const string License = "Apache";

    // include/uapi/linux/bpf.h: BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_*
    public const int AccessMknod = 1;
    public const int AccessRead = 2;
    public const int AccessWrite = 4;
    public const int TypeBlock = 1;
    public const int TypeChar = 2;

    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

    private DeviceFilterProgram(IReadOnlyList<BpfInstruction> instructions) => Instructions = instructions;

    public IReadOnlyList<BpfInstruction> Instructions { get; }

    /// <summary>Compiles the rules; throws <see cref="Resources.CgroupResourceException"/> naming a bad rule field.</summary>
    public static DeviceFilterProgram Compile(IReadOnlyList<LinuxDeviceCgroup> rules)
    {
        var parsed = rules.Select(DeviceRule.Parse).ToList();
        var blocks = new List<Block> { Prologue() };
        bool terminated = false;
        for (int i = parsed.Count - 1; i >= 0 && !terminated; i--)
        {
            var block = RuleBlock(parsed[i]);
            blocks.Add(block);
            terminated = !block.Any(b => b.ToNextBlock);
        }
        if (!terminated)
            blocks.Add([(new(BpfOpcode.MovImm32, R0, 0, 0, 0), false), (new(BpfOpcode.ExitInsn, 0, 0, 0, 0), false)]);
        return new DeviceFilterProgram(Link(blocks));
    }

    /// <summary>The instructions as the kernel reads them: 8 little-endian bytes each.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[Instructions.Count * BpfInstruction.Size];
        for (int i = 0; i < Instructions.Count; i++)
            Instructions[i].Encode(bytes.AsSpan(i * BpfInstruction.Size));
        return bytes;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Instructions.Count; i++)
            text.Append(i.ToString().PadLeft(4)).Append(": ").Append(Instructions[i]).Append('\n');
        return text.ToString();
    }

    private static Block Prologue() =>
    [
        (new(BpfOpcode.LoadWord, R2, R1, 0, 0), false),   // r2 = access_type
        (new(BpfOpcode.AndImm32, R2, 0, 0, 0xffff), false), // r2 = device type
        (new(BpfOpcode.LoadWord, R3, R1, 0, 0), false),   // r3 = access_type
        (new(BpfOpcode.RshImm32, R3, 0, 0, 16), false),   // r3 = requested access
        (new(BpfOpcode.LoadWord, R4, R1, 4, 0), false),   // r4 = major
        (new(BpfOpcode.LoadWord, R5, R1, 8, 0), false),   // r5 = minor
    ];

    private static Block RuleBlock(DeviceRule rule)
    {
        var block = new Block();
        if (rule.Type is { } type)
            block.Add((new(BpfOpcode.JneImm, R2, 0, 0, type), true));
        if (rule.Access != DeviceRule.AllAccess)
        {
            block.Add((new(BpfOpcode.MovReg32, R1, R3, 0, 0), false));        // r1 = requested
            block.Add((new(BpfOpcode.AndImm32, R1, 0, 0, rule.Access), false)); // r1 = requested & rule
            block.Add(rule.Allow
                ? (new(BpfOpcode.JneReg, R1, R3, 0, 0), true)   // allow: every requested access is granted
                : (new(BpfOpcode.JeqImm, R1, 0, 0, 0), true));  // deny: some requested access is forbidden
        }
        if (rule.Major is { } major)
            block.Add((new(BpfOpcode.JneImm, R4, 0, 0, major), true));
        if (rule.Minor is { } minor)
            block.Add((new(BpfOpcode.JneImm, R5, 0, 0, minor), true));
        block.Add((new(BpfOpcode.MovImm32, R0, 0, 0, rule.Allow ? 1 : 0), false));
        block.Add((new(BpfOpcode.ExitInsn, 0, 0, 0, 0), false));
        return block;
    }

    /// <summary>Flattens the blocks, pointing every "no match" jump at the first instruction of the next block.</summary>
    private static List<BpfInstruction> Link(List<Block> blocks)
    {
        var program = new List<BpfInstruction>();
        foreach (var block in blocks)
        {
            int next = program.Count + block.Count;
            foreach (var (instruction, toNext) in block)
            {
                int position = program.Count;
                program.Add(toNext ? instruction with { Offset = checked((short)(next - position - 1)) } : instruction);
            }
        }
        return program;
    }
}
