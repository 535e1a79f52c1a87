namespace SandboxRt.Containerd.Protocol;

/// <summary>The names containerd uses on the wire for the shim's services and methods.</summary>
public static class TaskApi
{
    /// <summary>The ttrpc service a shim serves.</summary>
    public const string Service = "containerd.task.v2.Task";

    /// <summary>The ttrpc service at TTRPC_ADDRESS that takes the shim's events.</summary>
    public const string EventsService = "containerd.services.events.ttrpc.v1.Events";
    public const string ForwardMethod = "Forward";

    /// <summary>The environment variable through which containerd tells a shim where to publish events.</summary>
    public const string TtrpcAddressVariable = "TTRPC_ADDRESS";
}
