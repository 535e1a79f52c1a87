using SandboxRt.Shim.Cli;

namespace SandboxRt.UnitTests.Shim;

[Trait("Tier", "unit")]
public sealed class ShimFlagsTests
{
    [Fact]
    public void Parses_what_containerd_passes_to_start()
    {
        var flags = ShimFlags.Parse(["-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd",
                                     "-id", "abc", "-debug", "start"]);
        Assert.Equal("k8s.io", flags.Namespace);
        Assert.Equal("/run/containerd/containerd.sock", flags.Address);
        Assert.Equal("/usr/bin/containerd", flags.PublishBinary);
        Assert.Equal("abc", flags.Id);
        Assert.True(flags.Debug);
        Assert.Equal("start", flags.Action);
    }

    [Fact]
    public void Accepts_go_flag_forms_and_stops_at_the_action()
    {
        var flags = ShimFlags.Parse(["--namespace=default", "-bundle=/b", "-debug=false", "-id", "x", "delete"]);
        Assert.Equal("default", flags.Namespace);
        Assert.Equal("/b", flags.Bundle);
        Assert.False(flags.Debug);
        Assert.Equal("delete", flags.Action);
        Assert.Equal("", ShimFlags.Parse(["-id", "x"]).Action);
    }

    [Theory]
    [InlineData("-nosuch", "flag provided but not defined: -nosuch")]
    [InlineData("-id", "flag needs an argument: -id")]
    [InlineData("-debug=maybe", "invalid boolean value")]
    public void Rejects_what_go_flag_would_reject(string arg, string message) =>
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => ShimFlags.Parse([arg])).Message);

    [Fact]
    public void Takes_containerd_delete_and_the_go_forms_containerd_could_write()
    {
        var flags = ShimFlags.Parse(["-namespace", "default", "-address", "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd",
                                     "-id", "c1", "-bundle", "/run/containerd/io.containerd.runtime.v2.task/default/c1", "-debug=1", "--", "delete"]);
        Assert.Equal(("c1", "/run/containerd/io.containerd.runtime.v2.task/default/c1", true, "delete"), (flags.Id, flags.Bundle, flags.Debug, flags.Action));
        Assert.True(ShimFlags.Parse(["-v"]).Version);
        Assert.True(ShimFlags.Parse(["--info=T"]).Info);
        Assert.False(ShimFlags.Parse(["-debug=F", "start"]).Debug);
    }

    [Fact]
    public void A_boolean_never_takes_the_next_argument() =>
        Assert.Contains("unexpected arguments after false: start",
                        Assert.ThrowsAny<ArgumentException>(() => ShimFlags.Parse(["-debug", "false", "start"])).Message);

    [Fact]
    public void Rejects_arguments_after_the_action() =>
        Assert.Contains("unexpected arguments", Assert.Throws<ArgumentException>(() => ShimFlags.Parse(["start", "extra"])).Message);

    [Fact]
    public void The_daemon_command_line_round_trips()
    {
        var start = ShimFlags.Parse(["-namespace", "ns", "-address", "/a.sock", "-publish-binary", "/c", "-id", "app", "-debug", "start"]);
        var daemon = ShimFlags.Parse(start.ForDaemon("pod", "/run/s/shim.sock", "/etc/q.json"));
        Assert.Equal(("ns", "/a.sock", "/c", "pod", "/run/s/shim.sock", "/etc/q.json", true, ""),
                     (daemon.Namespace, daemon.Address, daemon.PublishBinary, daemon.Id, daemon.Socket, daemon.Config, daemon.Debug, daemon.Action));
    }

    [Fact]
    public void Help_is_a_flag_as_in_Gos_flag_package()
    {
        Assert.True(ShimFlags.Parse(["-h"]).Help);
        Assert.True(ShimFlags.Parse(["--help", "start"]).Help);
        Assert.False(ShimFlags.Parse(["-id", "x", "start"]).Help);
        var output = new StringWriter();
        ShimFlags.WriteHelp(output);
        Assert.Contains("--publish-binary", output.ToString());
        Assert.DoesNotContain("--version", output.ToString());
    }
}
