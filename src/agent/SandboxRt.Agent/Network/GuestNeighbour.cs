using System.Net;

namespace SandboxRt.Agent.Network;

/// <summary>A static neighbour (ARP or NDP) entry on a guest interface.</summary>
internal sealed record GuestNeighbour(string Device, IPAddress Address, byte[] Mac, ushort State);
