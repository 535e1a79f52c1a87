using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

/// <summary>The OCI state of a recorded container, as hooks read it on stdin and `state` prints it.</summary>
public static class OciStates
{
    public static Oci.Spec.State Of(ContainerRecord record, ContainerStatus? status = null) => new()
    {
        Id = record.Id,
        Status = (status ?? record.Status).ToString().ToLowerInvariant(),
        Pid = record.Relay is { IsAlive: true } relay ? relay.Pid : 0,
        Bundle = record.Bundle,
        Annotations = record.Annotations,
    };
}
