using SandboxRt.Grpc.Framing;

namespace SandboxRt.UnitTests.Grpc;

[Trait("Tier", "unit")]
public sealed class GrpcHeadersTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("línea\n", "l%C3%ADnea%0A")]
    public void Percent_encodes_grpc_message(string text, string encoded)
    {
        Assert.Equal(encoded, GrpcHeaders.EncodeMessage(text));
        Assert.Equal(text, GrpcHeaders.DecodeMessage(encoded));
    }

    [Fact]
    public void Malformed_escapes_are_kept() => Assert.Equal("50%zz", GrpcHeaders.DecodeMessage("50%zz"));
}
