namespace SandboxRt.Runtime.Agent;

/// <summary>How a container process ended: exit code or 128+signal, and whether the OOM killer did it.</summary>
public sealed record ProcessExit(int Status, bool OomKilled, DateTime ExitedAt);
