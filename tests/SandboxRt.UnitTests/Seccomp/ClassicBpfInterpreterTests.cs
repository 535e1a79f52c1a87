using SandboxRt.Interop;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>The interpreter the other tests trust, checked on hand-assembled programs.</summary>
[Trait("Tier", "unit")]
public sealed class ClassicBpfInterpreterTests
{
    private static SockFilterInstruction I(ushort code, byte jt, byte jf, uint k) => new(code, jt, jf, k);

    [Fact]
    public void Runs_loads_alu_jumps_and_returns()
    {
        SockFilterInstruction[] program =
        [
            I(0x20, 0, 0, 4),            // ld arch
            I(0x15, 0, 7, 0xC000003E),   // jeq x86_64, else ret kill
            I(0x20, 0, 0, 0),            // ld nr
            I(0x35, 4, 0, 100),          // jge 100 -> ret errno
            I(0x20, 0, 0, 24),           // ld args[1] low
            I(0x54, 0, 0, 0xff),         // and 0xff
            I(0x15, 0, 1, 0x42),         // jeq 0x42
            I(0x06, 0, 0, 0x7fff0000),   // ret allow
            I(0x06, 0, 0, 0x00050001),   // ret errno 1
            I(0x06, 0, 0, 0x80000000),   // ret kill process
        ];
        Assert.Equal(0x7fff0000u, ClassicBpfInterpreter.Run(program, new SeccompData(0xC000003E, 5, [0, 0x1142])));
        Assert.Equal(0x00050001u, ClassicBpfInterpreter.Run(program, new SeccompData(0xC000003E, 5, [0, 0x1143])));
        Assert.Equal(0x00050001u, ClassicBpfInterpreter.Run(program, new SeccompData(0xC000003E, 100, [0, 0x42])));
        Assert.Equal(0x80000000u, ClassicBpfInterpreter.Run(program, new SeccompData(0x40000003, 5, [0, 0x42])));
    }

    [Fact]
    public void Reads_the_high_half_of_an_argument_at_plus_four()
    {
        SockFilterInstruction[] program = [I(0x20, 0, 0, 16 + 8 * 2 + 4), I(0x16, 0, 0, 0)]; // ld args[2] high; ret A
        Assert.Equal(0x12345678u, ClassicBpfInterpreter.Run(program, new SeccompData(0, 0, [0, 0, 0x12345678_9abcdef0])));
    }

    [Theory]
    [InlineData(0x20, 0, 0, 2u)]      // misaligned load
    [InlineData(0x20, 0, 0, 64u)]     // load past seccomp_data
    [InlineData(0x15, 5, 0, 0u)]      // jump past the end
    [InlineData(0x05, 0, 0, 7u)]      // ja past the end
    [InlineData(0x34, 0, 0, 0u)]      // div by constant 0
    [InlineData(0xc5, 0, 0, 0u)]      // no such jump
    public void Refuses_what_the_kernel_refuses(int code, int jt, int jf, uint k)
    {
        SockFilterInstruction[] program = [I((ushort)code, (byte)jt, (byte)jf, k), I(0x06, 0, 0, 0)];
        Assert.Throws<InvalidDataException>(() => ClassicBpfInterpreter.Check(program));
    }

    [Fact]
    public void Refuses_a_program_that_does_not_end_in_a_return() =>
        Assert.Throws<InvalidDataException>(() => ClassicBpfInterpreter.Check([I(0x06, 0, 0, 0), I(0x20, 0, 0, 0)]));
}
