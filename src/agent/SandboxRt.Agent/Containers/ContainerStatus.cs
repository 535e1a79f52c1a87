namespace SandboxRt.Agent.Containers;

/// <summary>A container's lifecycle state (runtime.md#lifecycle), with the verbs each state accepts.</summary>
internal enum ContainerStatus
{
    Created,
    Running,
    Paused,
    Stopped,
}
