using SandboxRt.Runtime.Configuration;

namespace SandboxRt.Runtime.Relay;

/// <summary>What the relay of a container's init needs (from `sandboxrt create`).</summary>
public sealed record InitRelayOptions(string Root, string Id, string Bundle, HypervisorConfig Config, string? ConsoleSocket);
