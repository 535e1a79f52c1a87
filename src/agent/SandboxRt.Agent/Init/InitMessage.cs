namespace SandboxRt.Agent.Init;

/// <summary>
/// One JSON message between the agent and sandboxrt-init (after the agent's binary plan, InitPlan):
///   init  → agent  PtyMaster  (only with a terminal) the master side, as an attached descriptor
///   init  → agent  Ready      (a new container only) the container is built; init waits before the last steps
///   agent → init   Start      finish: startContainer hooks, user, capabilities, seccomp, execve
///   init  → agent  Warning    (any number, before exec) something left out as runc leaves it out, e.g. an
///                             ambient capability that cannot be raised; the agent logs it
///   init  → agent  Error      instead of any of the above: the step that failed and why; init exits
/// A successful execve closes init's (close-on-exec) end: the agent reads end-of-stream.
/// </summary>
internal sealed class InitMessage
{
    public string Type { get; set; } = "";
    public string? Step { get; set; }
    public string? Error { get; set; }
    /// <summary>For errors: the errno of a failed execve (ENOENT, EACCES), so the host can map it to 127/126.</summary>
    public int? Errno { get; set; }

    public const string PtyMasterType = "pty-master", ReadyType = "ready", StartType = "start", ErrorType = "error", WarningType = "warning";
}
