using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Network.EmbeddedDns;

namespace SandboxRt.UnitTests.Network;

/// <summary>Docker's embedded DNS server is recognised by the nameserver line of the resolv.conf the spec mounts, and only by that.</summary>
[Trait("Tier", "unit")]
public sealed class ResolvConfTests
{
    [Theory]
    [InlineData("nameserver 127.0.0.11\noptions ndots:0\n", true)]
    [InlineData("search example.test\nnameserver\t127.0.0.11", true)]
    [InlineData("nameserver 10.1.2.3\n", false)]
    [InlineData("# nameserver 127.0.0.11\nnameserver 10.1.2.3\n", false)]
    [InlineData("nameserver 127.0.0.111\n", false)]
    [InlineData("# ExtServers: [127.0.0.11]\n", false)]
    [InlineData("", false)]
    public void The_embedded_server_is_a_nameserver_line(string text, bool named) =>
        Assert.Equal(named, ResolvConf.NamesEmbeddedServer(text));

    [Fact]
    public void The_file_is_the_one_mounted_at_etc_resolv_conf()
    {
        using var dir = new TempDirectory();
        var docker = dir.File("resolv.conf", "nameserver 127.0.0.11\n");
        var other = dir.File("other.conf", "nameserver 10.0.0.1\n");
        Spec With(params Mount[] mounts) => new() { Mounts = [.. mounts] };

        Assert.True(ResolvConf.NamesEmbeddedServer(With(new Mount { Destination = "/etc/hosts", Source = other }, new Mount { Destination = "/etc/resolv.conf", Source = docker })));
        Assert.False(ResolvConf.NamesEmbeddedServer(With(new Mount { Destination = "/etc/resolv.conf", Source = other })));
        Assert.False(ResolvConf.NamesEmbeddedServer(With(new Mount { Destination = "/etc/hosts", Source = docker })));
        Assert.False(ResolvConf.NamesEmbeddedServer(With(new Mount { Destination = "/etc/resolv.conf", Source = dir.Path + "/missing" })));
        Assert.False(ResolvConf.NamesEmbeddedServer(new Spec()));
    }

    /// <summary>The bundle is hostile: a FIFO (or a device) mounted as resolv.conf is not read, so it cannot hang the relay.</summary>
    [Fact]
    public void A_fifo_or_a_device_as_resolv_conf_is_not_read()
    {
        using var dir = new TempDirectory();
        var fifo = Path.Combine(dir.Path, "resolv.conf");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
            mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo), "mkfifo made no FIFO");
        Spec With(string source) => new() { Mounts = [new Mount { Destination = "/etc/resolv.conf", Source = source }] };
        Assert.False(ResolvConf.NamesEmbeddedServer(With(fifo)));
        Assert.False(ResolvConf.NamesEmbeddedServer(With("/dev/zero")));
    }
}
