namespace SandboxRt.Shim.Service;

/// <summary>What <see cref="TaskEventQueue.Enqueue"/> did with an event.</summary>
internal enum TaskEventQueueResult
{
    Queued,
    /// <summary>An OOM event folded into the one of the same container still waiting.</summary>
    Coalesced,
    /// <summary>The queue was completed (the shim is shutting down).</summary>
    Closed,
}
