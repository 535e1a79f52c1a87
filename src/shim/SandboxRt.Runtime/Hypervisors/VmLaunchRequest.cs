using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>What one VM needs: an id, a private state directory, the configuration and sizes.</summary>
public sealed record VmLaunchRequest(string Id, string StateDirectory, HypervisorConfig Config)
{
    public int Vcpus { get; init; } = Config.DefaultVcpus;
    public int MemoryMib { get; init; } = Config.DefaultMemoryMib;
    /// <summary>The most vCPUs the VM can grow to by hot-plug (<see cref="IVirtualMachine.GrowAsync"/>); at most <see cref="Vcpus"/>: none.</summary>
    public int MaxVcpus { get; init; }
    /// <summary>The most memory the VM can grow to by hot-plug, in MiB; at most <see cref="MemoryMib"/>: none.</summary>
    public int MaxMemoryMib { get; init; }
    /// <summary>False: boot cold even when the configuration has VM templates on (a clone of this request already failed).</summary>
    public bool AllowTemplate { get; init; } = true;
    /// <summary>Another initrd than the configuration's (the bare-VM floor measurement uses this).</summary>
    public string? InitrdOverride { get; init; }
    /// <summary>A host directory to share into the guest (container root file systems); null for none.</summary>
    public string? SharedDirectory { get; init; }
    /// <summary>The mount namespace in which <see cref="SharedDirectory"/> has its mounts (Storage.SharedDirectory): its file server starts there.</summary>
    public SandboxRt.Interop.MountNamespace? SharedDirectoryNamespace { get; init; }
    /// <summary>NICs on taps in the pod's network namespace; empty for a VM with loopback only.</summary>
    public IReadOnlyList<NetworkDevicePlan> NetworkDevices { get; init; } = [];
    /// <summary>
    /// The file holding the sandbox's agent token (Channels.AgentToken), handed to the guest out of band
    /// (QEMU: -fw_cfg name=opt/io.sandboxrt/agent-token,file=PATH; Cloud Hypervisor: an SMBIOS OEM string
    /// in vm.create's body); never its content on a command line.
    /// </summary>
    public string? AgentTokenFile { get; init; }
    /// <summary>Host cgroup directories (one per hierarchy) the VMM and its helpers run in: the pod's; empty leaves them in ours.</summary>
    public IReadOnlyList<string> Cgroups { get; init; } = [];
    /// <summary>
    /// Files the hypervisor opens by path that must stay private (the agent token): placed in its jail
    /// and made readable by its user only.
    /// </summary>
    public IReadOnlyList<string> HypervisorReadableFiles { get; init; } = [];
}
