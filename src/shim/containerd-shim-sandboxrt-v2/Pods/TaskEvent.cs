namespace SandboxRt.Shim.Pods;

/// <summary>
/// Something that happened to a task, raised by the pod in the order containerd must see it. The
/// publisher turns it into containerd's event message; the fields a kind does not use stay empty.
/// </summary>
internal sealed record TaskEvent(TaskEventKind Kind, string ContainerId)
{
    public string ExecId { get; init; } = "";
    public int Pid { get; init; }
    public int ExitStatus { get; init; }
    public DateTime At { get; init; } = DateTime.UtcNow;

    /// <summary>For <see cref="TaskEventKind.Create"/>: the request it answers.</summary>
    public CreateTaskRequest? Create { get; init; }
}
