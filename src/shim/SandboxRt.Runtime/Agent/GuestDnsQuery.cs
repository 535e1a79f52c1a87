namespace SandboxRt.Runtime.Agent;

/// <summary>
/// A DNS query a guest client sent to 127.0.0.11:53, with the id the agent gave it, and whether the client
/// asked over TCP. Unchecked: it comes from the guest.
/// </summary>
public sealed record GuestDnsQuery(uint Id, ReadOnlyMemory<byte> Message, bool Tcp = false);
