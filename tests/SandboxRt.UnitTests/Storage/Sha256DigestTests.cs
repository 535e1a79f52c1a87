using System.Security.Cryptography;
using System.Text;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.UnitTests.Storage;

[Trait("Tier", "unit")]
public sealed class Sha256DigestTests
{
    [Fact]
    public void The_digest_of_abc_is_the_FIPS_180_example()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(Sha256Digest.HashData("abc"u8)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)] // the longest message whose padding fits its one block
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(119)]
    [InlineData(120)]
    [InlineData(1000)]
    public void Every_length_hashes_as_SHA256_does(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(SHA256.HashData(data), Sha256Digest.HashData(data));
    }

    [Fact]
    public void A_state_directory_keeps_the_socket_directory_name_it_had_with_SHA256()
    {
        const string state = "/var/run/docker/runtime-runc/moby/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(state)))[..20];
        Assert.Equal(Path.Combine("/run/sandboxrt/sock", expected), SocketDirectory.For(state));
    }
}
