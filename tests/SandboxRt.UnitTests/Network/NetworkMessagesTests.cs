using SandboxRt.Agent.Protocol;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.UnitTests.Network;

/// <summary>The networking messages' text forms, and the host's defensive reading of what the guest answers.</summary>
[Trait("Tier", "unit")]
public sealed class NetworkMessagesTests
{
    [Theory]
    [InlineData("02:ab:00:00:00:0f")]
    [InlineData("FF:FF:FF:FF:FF:FF")]
    public void Mac_addresses_round_trip(string text) =>
        Assert.Equal(text.ToLowerInvariant(), NetworkText.FormatMac(NetworkText.ParseMac(text)));

    [Theory]
    [InlineData("02:ab:00:00:00")]
    [InlineData("02:ab:00:00:00:0f:01")]
    [InlineData("02-ab-00-00-00-0f")]
    [InlineData("0g:ab:00:00:00:0f")]
    [InlineData("2:ab:00:00:00:0f")]
    [InlineData("")]
    public void A_malformed_mac_is_refused_with_its_text(string text) =>
        Assert.Contains($"'{text}' is not a MAC address", Assert.Throws<FormatException>(() => NetworkText.ParseMac(text)).Message);

    [Theory]
    [InlineData("10.88.0.0/16", "10.88.0.0", 16)]
    [InlineData("10.88.0.5", "10.88.0.5", 32)]
    [InlineData("fd00::/64", "fd00::", 64)]
    [InlineData("fd00::1", "fd00::1", 128)]
    public void Prefixes_parse(string text, string address, int length)
    {
        var (ip, len) = NetworkText.ParsePrefix(text, "f");
        Assert.Equal(address, ip.ToString());
        Assert.Equal(length, len);
    }

    [Theory]
    [InlineData("10.88.0.0/33")]
    [InlineData("10.88.0.0/-1")]
    [InlineData("10.88.0.0/ 8")]
    [InlineData("fd00::/129")]
    [InlineData("fe80::1%eth0/64")]
    [InlineData("banana/8")]
    public void Bad_prefixes_name_the_field(string text) =>
        Assert.StartsWith("routes[3].destination:", Assert.Throws<FormatException>(() => NetworkText.ParsePrefix(text, "routes[3].destination")).Message);

    [Fact]
    public void A_hostile_guest_answer_is_trimmed_and_its_unparsable_fields_dropped()
    {
        var answer = new Interface { Name = new string('x', 4000), HwAddr = "not-a-mac", Mtu = uint.MaxValue };
        answer.Addresses.Add(new IPAddress { Address = "10.0.0.2", PrefixLength = 24 });
        answer.Addresses.Add(new IPAddress { Address = "<script>", PrefixLength = 24 });
        answer.Addresses.Add(new IPAddress { Address = "10.0.0.3", PrefixLength = 4000 });
        var parsed = AgentMapping.ToDomain(answer);
        Assert.Equal(15, parsed.Name.Length);
        Assert.Empty(parsed.Mac);
        Assert.Equal(65535, parsed.Mtu);
        Assert.Equal([(System.Net.IPAddress.Parse("10.0.0.2"), 24)], parsed.Addresses);

        var route = AgentMapping.ToDomain(new Route { Destination = "10.0.0.0/99", Gateway = "nope", Device = "eth0", Scope = 100_000 });
        Assert.Null(route.Destination);
        Assert.Null(route.Gateway);
        Assert.Equal(255, route.Scope);
    }
}
