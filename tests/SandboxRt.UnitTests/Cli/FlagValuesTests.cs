using SandboxRt.Cli.Cli;
using SandboxRt.Runtime.CommandLine;

namespace SandboxRt.UnitTests.Cli;

/// <summary>`sandboxrt update`'s numbers as runc reads them: memory through go-units' RAMInBytes, counts unsigned and bounded.</summary>
[Trait("Tier", "unit")]
public sealed class FlagValuesTests
{
    [Theory]
    [InlineData("268435456", 268435456L)]
    [InlineData("512m", 512L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1gb", 1L << 30)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData("64 MiB", 64L << 20)]
    [InlineData("10k", 10240L)]
    [InlineData("2t", 2L << 40)]
    [InlineData("100b", 100L)]
    [InlineData("-1", -1L)]
    public void Memory_sizes_are_read_as_runc_reads_them(string value, long bytes) =>
        Assert.Equal(bytes, FlagValues.Memory("memory", value));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("1x")]
    [InlineData("1gg")]
    [InlineData("-2")]
    [InlineData(".5g")]
    [InlineData("5.g")]
    [InlineData("1  g")]
    [InlineData("99999999999p")]
    public void A_size_runc_would_refuse_is_a_usage_error_naming_the_flag(string value)
    {
        var e = Assert.Throws<UsageException>(() => FlagValues.Memory("memory-swap", value));
        Assert.StartsWith($"--memory-swap: '{value}' is not a size", e.Message);
    }

    [Fact]
    public void Counts_are_unsigned_and_bounded_instead_of_wrapping()
    {
        Assert.Equal(1024UL, FlagValues.Unsigned("cpu-shares", "1024"));
        Assert.Equal("--cpu-shares: '-5' is not an unsigned integer", Assert.Throws<UsageException>(() => FlagValues.Unsigned("cpu-shares", "-5")).Message);
        Assert.Equal("--blkio-weight: '70000' is not an integer from 0 to 65535",
            Assert.Throws<UsageException>(() => FlagValues.Unsigned("blkio-weight", "70000", ushort.MaxValue)).Message); // was cast to 4464
        Assert.Equal(-1L, FlagValues.Signed("cpu-quota", "-1"));
        Assert.Equal("--pids-limit: '10x' is not an integer", Assert.Throws<UsageException>(() => FlagValues.Signed("pids-limit", "10x")).Message);
    }
}
