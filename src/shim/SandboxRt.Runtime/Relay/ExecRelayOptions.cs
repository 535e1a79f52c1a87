namespace SandboxRt.Runtime.Relay;

/// <summary>What the relay of an exec'd process needs (from `sandboxrt exec --detach`).</summary>
public sealed record ExecRelayOptions(string Root, string Id, string ExecId, string ProcessFile, string? ConsoleSocket)
{
    /// <summary>The agent and the stdio it joins: the real ones, or the unit tests' fakes.</summary>
    internal IExecRelayEnds Ends { get; init; } = ExecRelayEnds.Instance;
}
