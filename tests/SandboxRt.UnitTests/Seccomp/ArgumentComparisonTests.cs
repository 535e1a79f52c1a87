using SandboxRt.Seccomp;
using static SandboxRt.UnitTests.Seccomp.SeccompTestProfiles;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>
/// Every operator against values whose halves differ, compared with the 64-bit meaning of the operator:
/// a compiled comparison that looked at one half only, or mixed up the halves, fails here.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ArgumentComparisonTests
{
    private const ulong Value = 0x0000_0005_8000_0010; // high 5, low with the top bit set
    private const ulong Mask = 0xff00_000f_0000_00f0;
    private const ulong Masked = 0x1200_0005_0000_0010;

    private static readonly ulong[] Samples = SampleValues().Distinct().ToArray();

    private static IEnumerable<ulong> SampleValues()
    {
        foreach (ulong v in new[] { Value, Masked, Mask, 0x1_0000_0000UL, 0xffff_ffffUL })
        {
            yield return v;
            yield return v - 1;
            yield return v + 1;
            yield return v ^ 0xffff_ffff; // same high half, other low half
            yield return v ^ 0xffff_ffff_0000_0000; // same low half, other high half
            yield return (v & 0xffff_ffff) | ((v >> 32) + 1 << 32); // high + 1, same low
            yield return (v & 0xffff_ffff) | ((v >> 32) - 1 << 32); // high - 1, same low
            yield return v | 0xffff_ffff; // same high, largest low
            yield return v & ~0xffff_ffffUL; // same high, low 0
        }
        yield return 0;
        yield return ulong.MaxValue;
        yield return 0x8000_0000_0000_0000;
        yield return 0x1200_0005_ffff_ff1f; // matches the mask test in the masked bits, differs elsewhere
    }

    private static bool Expected(string op, ulong a) => op switch
    {
        "SCMP_CMP_EQ" => a == Value,
        "SCMP_CMP_NE" => a != Value,
        "SCMP_CMP_LT" => a < Value,
        "SCMP_CMP_LE" => a <= Value,
        "SCMP_CMP_GT" => a > Value,
        "SCMP_CMP_GE" => a >= Value,
        "SCMP_CMP_MASKED_EQ" => (a & Mask) == Masked,
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [InlineData("SCMP_CMP_EQ")]
    [InlineData("SCMP_CMP_NE")]
    [InlineData("SCMP_CMP_LT")]
    [InlineData("SCMP_CMP_LE")]
    [InlineData("SCMP_CMP_GT")]
    [InlineData("SCMP_CMP_GE")]
    [InlineData("SCMP_CMP_MASKED_EQ")]
    public void Compiled_comparison_agrees_with_64_bit_arithmetic(string op)
    {
        for (uint index = 0; index < 6; index += 5)
        {
            var arg = op == "SCMP_CMP_MASKED_EQ" ? Arg(index, op, Mask, Masked) : Arg(index, op, Value);
            var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "ioctl", arg)));
            foreach (ulong sample in Samples)
            {
                var args = new ulong[6];
                args[index] = sample;
                args[5 - index] = ~sample; // the other argument must not matter
                uint result = Run(program, SyscallTable.X86_64, "ioctl", args);
                Assert.True(result == (Expected(op, sample) ? SeccompReturn.Allow : Eperm),
                    $"{op} args[{index}]=0x{sample:x16}: got 0x{result:x8}");
            }
        }
    }

    [Theory]
    [InlineData("SCMP_CMP_LT", 0UL)]
    [InlineData("SCMP_CMP_GE", 0UL)]
    [InlineData("SCMP_CMP_LE", ulong.MaxValue)]
    [InlineData("SCMP_CMP_GT", ulong.MaxValue)]
    public void Comparisons_at_the_ends_of_the_range(string op, ulong value)
    {
        var program = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Rule("SCMP_ACT_ALLOW", "ioctl", Arg(1, op, value))));
        foreach (ulong sample in new[] { 0UL, 1UL, 0xffff_ffffUL, 0x1_0000_0000UL, ulong.MaxValue - 1, ulong.MaxValue })
        {
            bool holds = op switch { "SCMP_CMP_LT" => sample < value, "SCMP_CMP_GE" => sample >= value, "SCMP_CMP_LE" => sample <= value, _ => sample > value };
            Assert.Equal(holds ? SeccompReturn.Allow : Eperm, Run(program, SyscallTable.X86_64, "ioctl", 0, sample));
        }
    }
}
