using System.Net;

namespace SandboxRt.Agent.Network;

/// <summary>A guest NIC as the host wants it (or as it is): found by MAC, named, sized and addressed.</summary>
internal sealed record GuestInterface(string Name, byte[] Mac, int Mtu, IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses, bool Up = false);
