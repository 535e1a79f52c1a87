using SandboxRt.Agent.Transport;

namespace SandboxRt.Agent.UnitTests.Transport;

/// <summary>A clone's token swap (ReseedGuest): new connections need the new token, a malformed one changes nothing.</summary>
[Trait("Tier", "unit")]
public sealed class AgentSecretTests
{
    [Fact]
    public void Replacing_the_token_takes_a_copy_of_a_whole_token_and_refuses_anything_else()
    {
        var template = Enumerable.Repeat((byte)1, 32).ToArray();
        var secret = new AgentSecret(template);
        Assert.Throws<ArgumentException>(() => secret.Replace(new byte[31]));
        Assert.Equal(template, secret.Current);
        var own = Enumerable.Repeat((byte)2, 32).ToArray();
        secret.Replace(own);
        own[0] = 9;
        Assert.Equal(Enumerable.Repeat((byte)2, 32).ToArray(), secret.Current);
    }
}
