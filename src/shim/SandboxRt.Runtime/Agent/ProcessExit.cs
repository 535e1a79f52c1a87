namespace SandboxRt.Runtime.Agent;

/// <summary>How a container process ended: exit code or 128+signal, and whether the OOM killer did it.</summary>
public sealed record ProcessExit(int Status, bool OomKilled, DateTime ExitedAt)
{
    /// <summary>The status every client reports when the VM died under a process: as if it had been SIGKILLed.</summary>
    public const int VmDiedStatus = 137;

    public static ProcessExit VmDied(DateTime at) => new(VmDiedStatus, false, at) { VmWentAway = true };

    /// <summary>The VM died (or its agent stopped answering) before the process's own exit was known.</summary>
    public bool VmWentAway { get; init; }
}
