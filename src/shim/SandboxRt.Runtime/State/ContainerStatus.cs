namespace SandboxRt.Runtime.State;

/// <summary>The OCI lifecycle states as `state` prints them (runtime.md#state), plus "creating".</summary>
public enum ContainerStatus
{
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}
