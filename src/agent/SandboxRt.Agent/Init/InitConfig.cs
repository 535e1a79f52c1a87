using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.Init;

/// <summary>What the agent asks an init process to build.</summary>
internal sealed class InitConfig
{
    /// <summary>"create": a new container (build the root file system); "exec": a process joining a running one.</summary>
    public string Mode { get; set; } = "create";
    public string ContainerId { get; set; } = "";
    /// <summary>The container's spec, with root.path and bind sources resolved to guest paths.</summary>
    public Spec Spec { get; set; } = new();
    /// <summary>The process to run (the spec's for create; the exec's own for exec).</summary>
    public Process Process { get; set; } = new();
    /// <summary>Bring loopback up: the container has a network namespace of its own.</summary>
    public bool NewNetworkNamespace { get; set; }
    /// <summary>Unshare the cgroup namespace after the agent placed init in the container's cgroup.</summary>
    public bool NewCgroupNamespace { get; set; }
    /// <summary>The container's cgroup directory in the guest (bind-mounted as its cgroup view without a cgroup namespace).</summary>
    public string CgroupPath { get; set; } = "";
    /// <summary>The OCI state JSON the container's hooks get on stdin.</summary>
    public string HookState { get; set; } = "{}";
}
