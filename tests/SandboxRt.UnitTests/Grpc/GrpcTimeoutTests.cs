using SandboxRt.Grpc.Framing;

namespace SandboxRt.UnitTests.Grpc;

[Trait("Tier", "unit")]
public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 3600_000)]
    [InlineData("2M", 120_000)]
    [InlineData("3S", 3000)]
    [InlineData("250m", 250)]
    [InlineData("1500u", 1.5)]
    [InlineData("2000000n", 2)]
    public void Parses_every_unit(string header, double expectedMs)
    {
        Assert.True(GrpcTimeout.TryParse(header, out var timeout));
        Assert.Equal(expectedMs, timeout.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("123456789S")] // nine digits
    [InlineData("-5S")]
    [InlineData("5x")]
    public void Rejects_malformed_values(string header) => Assert.False(GrpcTimeout.TryParse(header, out _));

    [Fact]
    public void Formats_within_eight_digits_and_parses_back()
    {
        foreach (var t in new[] { TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromDays(3), TimeSpan.FromDays(20_000) })
        {
            var text = GrpcTimeout.Format(t);
            Assert.True(text.Length <= 9, text);
            Assert.True(GrpcTimeout.TryParse(text, out var back));
            Assert.True(back >= t, $"{text} -> {back} < {t}");
        }
    }
}
