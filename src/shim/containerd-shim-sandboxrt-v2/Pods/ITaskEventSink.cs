namespace SandboxRt.Shim.Pods;

/// <summary>Where a pod's task events go, in order (the publisher to containerd, or a list in a test).</summary>
internal interface ITaskEventSink
{
    /// <summary>Queues the event; never blocks on containerd.</summary>
    void Publish(TaskEvent taskEvent);
}
