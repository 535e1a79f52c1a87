namespace SandboxRt.Agent.Init;

/// <summary>
/// One message between the agent and a container's init process. The protocol is ordered and typed:
///   agent → init   Config     what to build (InitConfig)
///   init  → agent  PtyMaster  (only with a terminal) the master side, as an attached descriptor
///   init  → agent  Ready      the container is built; init waits before the last steps
///   agent → init   Start      finish: user, capabilities, seccomp, execve
///   init  → agent  Warning    (any number, before exec) something left out as runc leaves it out, e.g. an
///                             ambient capability that cannot be raised; the agent logs it
///   init  → agent  Error      instead of any of the above: the step that failed and why; init exits
/// A successful execve closes init's (close-on-exec) end: the agent reads end-of-stream.
/// </summary>
internal sealed class InitMessage
{
    public string Type { get; set; } = "";
    public InitConfig? Config { get; set; }
    public string? Step { get; set; }
    public string? Error { get; set; }
    /// <summary>For errors: the errno of a failed execve (ENOENT, EACCES), so the host can map it to 127/126.</summary>
    public int? Errno { get; set; }

    public const string ConfigType = "config", PtyMasterType = "pty-master", ReadyType = "ready", StartType = "start", ErrorType = "error", WarningType = "warning";
}
