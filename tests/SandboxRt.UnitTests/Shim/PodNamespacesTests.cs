using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Shim.Pods;

namespace SandboxRt.UnitTests.Shim;

[Trait("Tier", "unit")]
public sealed class PodNamespacesTests
{
    private static Spec WithNamespaces(params (string Type, string? Path)[] namespaces) => new()
    {
        Linux = new Linux { Namespaces = [.. namespaces.Select(n => new LinuxNamespace { Type = n.Type, Path = n.Path })] },
    };

    [Fact]
    public void Cri_paths_become_the_sandbox_containers_namespaces_in_the_guest()
    {
        var spec = WithNamespaces(("pid", null), ("ipc", "/proc/4242/ns/ipc"), ("uts", "/proc/4242/ns/uts"), ("mount", null), ("network", "/var/run/netns/cni-1"));
        PodNamespaces.TranslateForGuest(spec, sandboxGuestPid: 94);
        var byType = spec.Linux!.Namespaces!.ToDictionary(n => n.Type, n => n.Path);
        Assert.Equal("/proc/94/ns/ipc", byType["ipc"]);
        Assert.Equal("/proc/94/ns/uts", byType["uts"]);
        Assert.Null(byType["pid"]);
        // the pod's network namespace stays for the host side (the VM mirrors it); the guest spec drops it later
        Assert.Equal("/var/run/netns/cni-1", byType["network"]);
    }

    [Fact]
    public void A_pid_path_goes_to_the_given_pid_and_ipc_and_uts_stay_the_sandbox_containers()
    {
        var spec = WithNamespaces(("pid", "/proc/4242/ns/pid"), ("ipc", "/proc/4242/ns/ipc"), ("uts", "/proc/4242/ns/uts"));
        PodNamespaces.TranslateForGuest(spec, sandboxGuestPid: 94, pidGuestPid: 120);
        var byType = spec.Linux!.Namespaces!.ToDictionary(n => n.Type, n => n.Path);
        Assert.Equal("/proc/120/ns/pid", byType["pid"]);
        Assert.Equal("/proc/94/ns/ipc", byType["ipc"]);
        Assert.Equal("/proc/94/ns/uts", byType["uts"]);
    }

    [Fact]
    public void A_shared_namespace_without_a_sandbox_container_is_refused() =>
        Assert.Contains("linux.namespaces[0].path", Assert.Throws<SpecValidationException>(() =>
            PodNamespaces.TranslateForGuest(WithNamespaces(("ipc", "/proc/1/ns/ipc")), sandboxGuestPid: null)).Message);

    [Theory]
    [InlineData("mount")]
    [InlineData("user")]
    [InlineData("cgroup")]
    public void A_host_namespace_path_of_another_kind_is_refused(string type) =>
        Assert.Contains("host " + type, Assert.Throws<SpecValidationException>(() =>
            PodNamespaces.TranslateForGuest(WithNamespaces((type, "/proc/1/ns/x")), sandboxGuestPid: 5)).Message);
}
