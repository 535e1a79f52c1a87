using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Relay;

namespace SandboxRt.UnitTests.Relay;

/// <summary>
/// When a container in a cached VM may be created in the guest before its prestart hooks end and its
/// NICs are plugged: not with createRuntime or createContainer hooks (ordered after prestart), not with a
/// sysctl that names an interface; and the pending network completes in order and settles quietly.
/// </summary>
[Trait("Tier", "unit")]
public sealed class PendingNetworkTests
{
    private static Spec With(Hooks? hooks = null, Dictionary<string, string>? sysctl = null) =>
        new() { Hooks = hooks, Linux = new Linux { Sysctl = sysctl } };

    [Fact]
    public void Dockers_spec_with_a_prestart_hook_and_its_default_sysctls_is_created_first()
    {
        var spec = With(new Hooks { Prestart = [new Hook { Path = "/proc/1/exe" }] },
            new() { ["net.ipv4.ip_unprivileged_port_start"] = "0", ["net.ipv4.conf.all.forwarding"] = "1", ["net.ipv6.conf.default.disable_ipv6"] = "1" });
        Assert.True(PendingNetwork.CanCreateBefore(spec));
        Assert.True(PendingNetwork.CanCreateBefore(new Spec()));
    }

    [Theory]
    [InlineData("net.ipv4.conf.eth0.rp_filter")]
    [InlineData("net/ipv6/conf/eth0/disable_ipv6")]
    [InlineData("net.ipv4.neigh.eth0.gc_stale_time")]
    public void A_sysctl_naming_an_interface_waits_for_the_nics(string key) =>
        Assert.False(PendingNetwork.CanCreateBefore(With(sysctl: new() { [key] = "1" })));

    [Fact]
    public void CreateRuntime_and_createContainer_hooks_wait_for_the_prestart_hooks()
    {
        Assert.False(PendingNetwork.CanCreateBefore(With(new Hooks { CreateRuntime = [new Hook { Path = "/bin/true" }] })));
        Assert.False(PendingNetwork.CanCreateBefore(With(new Hooks { CreateContainer = [new Hook { Path = "/bin/true" }] })));
    }

    [Fact]
    public async Task The_nics_are_asked_for_only_after_the_hooks_end_and_not_after_they_fail()
    {
        var hooks = new TaskCompletionSource();
        int attached = 0;
        var pending = new PendingNetwork(hooks.Task, _ => { attached++; return Task.CompletedTask; });
        var completing = pending.CompleteAsync(CancellationToken.None);
        Assert.Equal(0, attached);
        hooks.SetResult();
        await completing;
        Assert.Equal(1, attached);

        var failed = new PendingNetwork(Task.FromException(new InvalidOperationException("hooks.prestart[0] failed")), _ => { attached++; return Task.CompletedTask; });
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.CompleteAsync(CancellationToken.None));
        await failed.SettleAsync(); // the hook's failure is not thrown again
        Assert.Equal(1, attached);
    }
}
