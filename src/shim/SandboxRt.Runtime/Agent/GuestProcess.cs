namespace SandboxRt.Runtime.Agent;

/// <summary>One process of a container, as ps inside the guest sees it.</summary>
public sealed record GuestProcess(int Pid, int Ppid, uint Uid, string Command, ulong RssBytes, ulong CpuTimeMs);
