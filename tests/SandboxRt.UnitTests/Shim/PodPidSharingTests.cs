using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Shim.Pods;

namespace SandboxRt.UnitTests.Shim;

/// <summary>
/// Whose pid namespace a CRI app container's pid path names in the guest (every task's host pid is the
/// VM's): the sandbox container's in a pod that shares one (its first app container came with a path), the
/// one running container's for kubectl debug --target in a pod whose containers each have their own, and a
/// refusal naming them when that target is not unique.
/// </summary>
[Trait("Tier", "unit")]
public sealed class PodPidSharingTests
{
    private const int SandboxPid = 10;

    private static Spec App(bool pidPath) => new()
    {
        Linux = new Linux
        {
            Namespaces = pidPath
                ? [new LinuxNamespace { Type = "ipc", Path = "/proc/777/ns/ipc" }, new LinuxNamespace { Type = "pid", Path = "/proc/777/ns/pid" }]
                : [new LinuxNamespace { Type = "ipc", Path = "/proc/777/ns/ipc" }, new LinuxNamespace { Type = "pid" }],
        },
    };

    [Fact]
    public void In_a_pod_that_shares_its_pid_namespace_every_path_names_the_sandbox_containers()
    {
        var sharing = new PodPidSharing();
        Assert.Equal(SandboxPid, sharing.TargetOf("app", App(pidPath: true), SandboxPid, []));
        Assert.Equal(SandboxPid, sharing.TargetOf("second", App(pidPath: true), SandboxPid, [("app", 20)]));
        Assert.Equal(SandboxPid, sharing.TargetOf("debug", App(pidPath: true), SandboxPid, [("app", 20), ("second", 30)]));
    }

    [Fact]
    public void In_a_pod_whose_containers_have_their_own_a_path_names_the_one_running_container()
    {
        var sharing = new PodPidSharing();
        Assert.Null(sharing.TargetOf("app", App(pidPath: false), SandboxPid, []));
        Assert.Equal(20, sharing.TargetOf("debugger-1", App(pidPath: true), SandboxPid, [("app", 20)]));
        // a second debugger targets the app too: the first debugger is not a candidate
        Assert.Equal(20, sharing.TargetOf("debugger-2", App(pidPath: true), SandboxPid, [("app", 20), ("debugger-1", 40)]));
    }

    [Fact]
    public void A_target_that_is_not_unique_is_refused_naming_the_candidates()
    {
        var sharing = new PodPidSharing();
        Assert.Null(sharing.TargetOf("app", App(pidPath: false), SandboxPid, []));
        var e = Assert.Throws<SpecValidationException>(() => sharing.TargetOf("debugger", App(pidPath: true), SandboxPid, [("app", 20), ("sidecar", 30)]));
        Assert.Contains("linux.namespaces[1].path: '/proc/777/ns/pid'", e.Message);
        Assert.Contains("kubectl debug --target", e.Message);
        Assert.Contains("2 run: app, sidecar", e.Message);
        Assert.Contains("none runs", Assert.Throws<SpecValidationException>(() => sharing.TargetOf("debugger", App(pidPath: true), SandboxPid, [])).Message);
    }

    [Fact]
    public void A_removed_debugger_is_forgotten()
    {
        var sharing = new PodPidSharing();
        Assert.Null(sharing.TargetOf("app", App(pidPath: false), SandboxPid, []));
        Assert.Equal(20, sharing.TargetOf("debugger", App(pidPath: true), SandboxPid, [("app", 20)]));
        sharing.Removed("debugger");
        // the same id, now a regular container that runs: a candidate like any other
        Assert.Throws<SpecValidationException>(() => sharing.TargetOf("debugger-2", App(pidPath: true), SandboxPid, [("app", 20), ("debugger", 40)]));
    }
}
