using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Network;

/// <summary>
/// docker run --network container:X through the CLI: which sandbox a spec's network namespace belongs to
/// (Decide over fake records), and the records Find gathers from a --root.
/// </summary>
[Trait("Tier", "unit")]
public sealed class NetworkJoinTests
{
    private const string Field = "linux.namespaces[2].path";

    private static NetworkOwner Owner(string id, string identity, ContainerStatus status = ContainerStatus.Running, bool alive = true, int? relayPid = null) =>
        new(id, status, alive, [identity]) { RelayPid = relayPid };

    [Fact]
    public void A_running_containers_namespace_is_joined()
    {
        var owners = new[] { Owner("a", "0:4:100"), Owner("x", "0:4:200"), Owner("b", "0:4:300") };
        Assert.Equal("x", NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:200", owners));
    }

    [Theory]
    [InlineData(ContainerStatus.Created)]
    [InlineData(ContainerStatus.Paused)]
    public void A_created_or_paused_container_can_be_joined(ContainerStatus status) =>
        Assert.Equal("x", NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:200", [Owner("x", "0:4:200", status)]));

    [Fact]
    public void A_namespace_no_container_of_the_root_has_is_not_ours()
    {
        Assert.Null(NetworkJoin.Decide("/var/run/netns/pod", Field, "0:4:999", [Owner("x", "0:4:200")]));
        Assert.Null(NetworkJoin.Decide("/var/run/netns/gone", Field, null, [Owner("x", "0:4:200")]));
        Assert.Null(NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:999", []));
    }

    [Theory]
    [InlineData(ContainerStatus.Stopped, true)]
    [InlineData(ContainerStatus.Running, false)]  // its relay is gone: it stopped
    [InlineData(ContainerStatus.Creating, true)]
    public void A_container_that_is_not_running_is_refused_naming_the_field(ContainerStatus status, bool alive)
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:200", [Owner("x", "0:4:200", status, alive)]));
        Assert.StartsWith($"{Field}: '/proc/42/ns/net' is the network namespace of container x", e.Message);
        Assert.Contains("--network container:x", e.Message);
    }

    [Fact]
    public void A_joined_containers_namespace_joins_the_same_sandbox_by_its_relays_pid()
    {
        // Y runs in X's VM; its relay (pid 77) is in the host's namespace: Z naming /proc/77/ns/net joins X
        var y = new NetworkOwner("y", ContainerStatus.Running, true, []) { RelayPid = 77, JoinedSandbox = "x" };
        Assert.Equal("x", NetworkJoin.Decide("/proc/77/ns/net", Field, "0:4:1", [Owner("x", "0:4:200"), y]));
    }

    [Fact]
    public void A_joined_container_whose_sandbox_is_gone_is_refused()
    {
        var y = new NetworkOwner("y", ContainerStatus.Running, true, []) { RelayPid = 77, JoinedSandbox = "x" };
        var e = Assert.Throws<ArgumentException>(() => NetworkJoin.Decide("/proc/77/ns/net", Field, "0:4:1", [y]));
        Assert.Contains("container y, whose sandbox (container x) is gone", e.Message);
    }

    [Fact]
    public void A_stopped_joined_container_is_refused()
    {
        var y = new NetworkOwner("y", ContainerStatus.Stopped, false, []) { RelayPid = 77, JoinedSandbox = "x" };
        Assert.Contains("of container y, which is not running", Assert.Throws<ArgumentException>(() =>
            NetworkJoin.Decide("/proc/77/ns/net", Field, "0:4:1", [Owner("x", "0:4:200"), y])).Message);
    }

    [Fact]
    public void A_pid_path_of_a_gone_relay_is_matched_only_by_identity()
    {
        // X's relay pid 42, but the path names another namespace now (X's relay is gone, its pid reused)
        Assert.Null(NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:999", [Owner("x", "0:4:200", ContainerStatus.Running, alive: false, relayPid: 42)]));
    }

    [Fact]
    public void A_pid_path_of_a_live_relay_in_the_hosts_namespace_joins_its_container()
    {
        // podman's pod: the infra container X mirrors the pod's namespace (0:4:200) and its relay (pid 42)
        // runs in the host's (0:4:1); a pod container names /proc/42/ns/net
        Assert.Equal("x", NetworkJoin.Decide("/proc/42/ns/net", Field, "0:4:1", [Owner("a", "0:4:100", relayPid: 41), Owner("x", "0:4:200", relayPid: 42)]));
    }

    [Fact]
    public void Find_matches_the_namespace_a_container_of_the_root_mirrors()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        // any file stands for the namespace: the identity (device and inode) is what is compared
        var netns = root.File("netns", "");
        Save(store, "x", ContainerStatus.Running, network: netns);
        Save(store, "other", ContainerStatus.Running, network: root.File("other-netns", ""));
        var spec = SpecNaming(netns);
        Assert.Equal(("x", "linux.namespaces[1].path"), NetworkJoin.Find(store, spec));
        Assert.Null(NetworkJoin.Find(store, spec, exceptId: "x"));
        Assert.Null(NetworkJoin.Find(store, SpecNaming(root.File("unknown", ""))));
        Assert.Null(NetworkJoin.Find(store, new Spec { Linux = new Linux { Namespaces = [new LinuxNamespace { Type = "network" }] } }));
    }

    [Fact]
    public void Find_refuses_a_stopped_container()
    {
        using var root = new TempDirectory();
        var store = new StateStore(root.Path);
        var netns = root.File("netns", "");
        Save(store, "x", ContainerStatus.Stopped, network: netns);
        var e = Assert.Throws<ArgumentException>(() => NetworkJoin.Find(store, SpecNaming(netns)));
        Assert.Contains("linux.namespaces[1].path: '" + netns + "' is the network namespace of container x, which is not running", e.Message);
    }

    private static Spec SpecNaming(string path) => new()
    {
        Linux = new Linux { Namespaces = [new LinuxNamespace { Type = "pid" }, new LinuxNamespace { Type = "network", Path = path }] },
    };

    private static void Save(StateStore store, string id, ContainerStatus status, string network)
    {
        Directory.CreateDirectory(store.Directory(id));
        store.Save(new ContainerRecord { Id = id, Status = status, Relay = ProcessIdentity.Of(Environment.ProcessId) });
        var record = new NetworkRecord { NamespacePath = network, NamespaceIdentity = FileIdentity.Of(network).ToString() };
        File.WriteAllText(Path.Combine(store.Directory(id), PodNetwork.RecordFile), System.Text.Json.JsonSerializer.Serialize(record, StateJsonContext.Default.NetworkRecord));
    }
}
