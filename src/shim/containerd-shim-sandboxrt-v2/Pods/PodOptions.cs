using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Shim.Pods;

/// <summary>What a pod needs to start its VM: its id (the sandbox container's), where its state lives, and the hypervisor config.</summary>
internal sealed record PodOptions(string Id, string StateRoot, HypervisorConfig Config);
