namespace SandboxRt.Runtime.Relay;

/// <summary>What the relay of an exec'd process needs (from `sandboxrt exec --detach`).</summary>
public sealed record ExecRelayOptions(string Root, string Id, string ExecId, string ProcessFile, string? ConsoleSocket);
