using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Monitoring;

/// <summary>One container of a pod and its cgroup statistics in the guest.</summary>
public sealed record PodContainerStats(string Id, ContainerStats Stats);
