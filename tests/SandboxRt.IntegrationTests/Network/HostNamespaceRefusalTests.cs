using SandboxRt.Interop;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Network;

namespace SandboxRt.IntegrationTests.Network;

/// <summary>
/// The host's own network namespace is never a pod's, whatever path names it: PodNetwork.Attach would
/// redirect every frame of the host's NICs into the VM. (Attach itself is not called with the host's
/// namespace here: on a broken check it would do exactly that to this machine.)
/// </summary>
[Trait("Tier", "host")]
public sealed class HostNamespaceRefusalTests
{
    [Theory]
    [InlineData("/proc/self/ns/net")]  // this test runs in the host's namespace
    [InlineData("/proc/thread-self/ns/net")]
    public void The_hosts_namespace_is_refused_naming_the_field(string path)
    {
        TestEnvironment.RequireRoot();
        var e = Assert.Throws<ArgumentException>(() => PodNetwork.CheckNamespace(path, "linux.namespaces[3].path"));
        Assert.Equal($"linux.namespaces[3].path: '{path}' is the host's network namespace; a pod needs a network namespace of its own (its interfaces are handed to the VM; " +
                     "a VM cannot share the host's network: docker run --network host is not supported)", e.Message);
    }

    [Fact]
    public void Pid_1s_namespace_is_refused_naming_the_field()
    {
        // /proc/1/ns/* needs ptrace access to PID 1, which some hosts (this CI's VMs) deny even to root:
        // refused either way, as the host's namespace or as one that cannot be examined.
        TestEnvironment.RequireRoot();
        var e = Assert.Throws<ArgumentException>(() => PodNetwork.CheckNamespace("/proc/1/ns/net", "linux.namespaces[3].path"));
        Assert.StartsWith("linux.namespaces[3].path: ", e.Message);
        Assert.True(e.Message.Contains("'/proc/1/ns/net' is the host's network namespace;") || e.Message.Contains("cannot be examined: open(\"/proc/1/ns/net\"): EACCES"), e.Message);
    }

    [Fact]
    public void A_bind_mount_of_the_hosts_namespace_is_refused_too()
    {
        TestEnvironment.RequireRoot();
        Directory.CreateDirectory("/run/netns");
        var path = "/run/netns/srt-hostns-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(path, "");
        try
        {
            FileSystem.Mount("/proc/self/ns/net", path, null, MountFlags.Bind); // this test runs in the host's namespace
            try
            {
                var e = Assert.Throws<ArgumentException>(() => PodNetwork.CheckNamespace(path, "network namespace"));
                Assert.Contains($"'{path}' is the host's network namespace;", e.Message);
            }
            finally
            {
                FileSystem.Unmount(path, detach: true);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_namespace_of_its_own_is_accepted()
    {
        TestEnvironment.RequireRoot();
        using var pair = await TestNetworkPair.CreateAsync();
        PodNetwork.CheckNamespace(pair.PodNamespacePath, "network namespace");
        Assert.Null(PodNetwork.HostNamespace(FileIdentity.Of(pair.PodNamespacePath)));
        Assert.NotNull(PodNetwork.HostNamespace(FileIdentity.Of("/proc/self/ns/net")));
    }
}
