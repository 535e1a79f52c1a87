using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Network;

namespace SandboxRt.UnitTests.Network;

/// <summary>
/// docker run --pid container:X (and --ipc, podman's --uts) through the CLI: a path that names a container
/// of the VM the new one joins becomes that container's namespace in the guest; one that names a
/// container elsewhere, or a stopped one, is refused naming the field; any other path is left alone.
/// </summary>
[Trait("Tier", "unit")]
public sealed class NamespaceShareTests
{
    private static Spec SpecWith(params LinuxNamespace[] namespaces) =>
        new() { Linux = new Linux { Namespaces = [new() { Type = "mount" }, .. namespaces] } };

    private static readonly NamespaceShare.Member X = new("x", RelayPid: 100, Running: true, Sandbox: "x", GuestPid: 57);
    private static readonly NamespaceShare.Member Z = new("z", RelayPid: 200, Running: true, Sandbox: "x", GuestPid: 88); // joined x's VM
    private static readonly NamespaceShare.Member Other = new("o", RelayPid: 300, Running: true, Sandbox: "o", GuestPid: 12);

    [Fact]
    public void Namespaces_of_containers_in_the_joined_vm_become_their_guest_namespaces()
    {
        var spec = SpecWith(new LinuxNamespace { Type = "pid", Path = "/proc/100/ns/pid" }, new() { Type = "ipc", Path = "/proc/200/ns/ipc" }, new() { Type = "uts", Path = "/proc/100/ns/uts" },
            new() { Type = "network", Path = "/proc/100/ns/net" });
        var shared = NamespaceShare.Decide(spec, "x", [X, Z, Other]);
        Assert.Equal(new Dictionary<int, string> { [1] = "/proc/57/ns/pid", [2] = "/proc/88/ns/ipc", [3] = "/proc/57/ns/uts" }, shared);
        NamespaceShare.Apply(spec, shared);
        Assert.Equal(["", "/proc/57/ns/pid", "/proc/88/ns/ipc", "/proc/57/ns/uts", "/proc/100/ns/net"], spec.Linux!.Namespaces!.Select(n => n.Path ?? ""));
    }

    [Fact]
    public void A_container_in_another_vm_or_with_no_vm_joined_is_refused_naming_the_field()
    {
        var spec = SpecWith(new LinuxNamespace { Type = "pid", Path = "/proc/300/ns/pid" });
        var e = Assert.Throws<SpecValidationException>(() => NamespaceShare.Decide(spec, "x", [X, Other]));
        Assert.StartsWith("invalid config.json: linux.namespaces[1].path: '/proc/300/ns/pid' is the pid namespace of container o, which is in that container's VM: " +
                          "a container shares it only when it runs in the same VM, which it does with the same network (--network container:o)", e.Message);
        Assert.Throws<SpecValidationException>(() => NamespaceShare.Decide(SpecWith(new LinuxNamespace { Type = "pid", Path = "/proc/100/ns/pid" }), null, [X]));
    }

    [Fact]
    public void A_stopped_container_is_refused_its_guest_pid_could_be_another_process_by_now()
    {
        var stopped = X with { Running = false };
        var e = Assert.Throws<SpecValidationException>(() => NamespaceShare.Decide(SpecWith(new LinuxNamespace { Type = "ipc", Path = "/proc/100/ns/ipc" }), "x", [stopped]));
        Assert.Contains("is the ipc namespace of container x, which is not running", e.Message);
    }

    [Theory]
    [InlineData("pid", "/proc/999/ns/pid")] // no relay of ours: a host namespace, left to CheckHostOnlyFields
    [InlineData("pid", "/proc/100/ns/ipc")] // the wrong kind of namespace for the field
    [InlineData("pid", "/proc/100/root/../ns/pid")]
    [InlineData("mount", "/proc/100/ns/mnt")] // not a kind that can be shared
    [InlineData("ipc", "/var/run/ipc")]
    public void Other_paths_are_not_containers_namespaces(string type, string path) =>
        Assert.Empty(NamespaceShare.Decide(SpecWith(new LinuxNamespace { Type = type, Path = path }), "x", [X]));
}
