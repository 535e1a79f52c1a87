namespace SandboxRt.Shim.Pods;

/// <summary>How a process ended: the host-visible pid containerd knows it by, its status (code or 128+signal) and when.</summary>
internal sealed record ProcessExitInfo(int Pid, int Status, DateTime ExitedAt);
