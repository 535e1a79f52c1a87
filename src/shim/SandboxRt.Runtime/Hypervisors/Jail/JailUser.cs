namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>The unprivileged user (and group of the same number) one sandbox's VMM runs as.</summary>
public sealed record JailUser(uint Uid, uint Gid);
