using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>What a sandbox is started with.</summary>
public sealed record SandboxStartOptions(string Id, string StateRoot, HypervisorConfig Config)
{
    public int? Vcpus { get; init; }
    public int? MemoryMib { get; init; }
    public string? InitrdOverride { get; init; }
    /// <summary>Give the sandbox a shared directory (virtio-fs or 9p) for container root file systems.</summary>
    public bool WithSharedDirectory { get; init; }
    /// <summary>The state directory already exists with the caller's own files (the relay's state.json).</summary>
    public bool StateDirectoryExists { get; init; }
    /// <summary>The pod's network namespace (a path such as /var/run/netns/NAME) whose interfaces the VM mirrors; null for none.</summary>
    public string? NetworkNamespace { get; init; }
    /// <summary>
    /// When set, <see cref="NetworkNamespace"/> is final only once this completes (the runc CLI's prestart
    /// hooks: Docker's libnetwork-setkey moves the container's interface in). A VM that can take NICs after
    /// its start (a q35 clone) starts meanwhile and gets the namespace's NICs then; any other waits for it
    /// and starts in the namespace. Its failure fails the start.
    /// </summary>
    public Task? NetworkSettled { get; init; }
    /// <summary>NetworkNamespace is the caller's own, made for this sandbox (see PodNetwork.CheckNamespace).</summary>
    public bool NetworkNamespaceIsOwn { get; init; }
    /// <summary>Work out where the boot time went (one more agent call); also done when debug logging is on.</summary>
    public bool MeasureBoot { get; init; }
    /// <summary>
    /// linux.cgroupsPath of the sandbox's spec (see HostCgroups.CgroupsPath): the VMM and virtiofsd run in
    /// that host cgroup, made if missing; null leaves them in the caller's cgroups.
    /// </summary>
    public string? CgroupsPath { get; init; }
    /// <summary>The host CPUs and memory nodes the VM starts on (its host cgroup's cpuset; HostCpuset): unpinned by default.</summary>
    public HostCgroups.HostCpuset HostCpuset { get; init; } = HostCgroups.HostCpuset.Unpinned;
    /// <summary>
    /// Called once the hypervisor (and its helpers) run, before the agent answers: a caller whose process
    /// can be killed during boot records their pids here, so that delete finds them (the relay's state.json).
    /// </summary>
    public Action<Hypervisors.IVirtualMachine>? Launched { get; init; }
}
