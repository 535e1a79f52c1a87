using System.Net;

namespace SandboxRt.Agent.Network;

/// <summary>A route on a guest interface. Destination null is the default route.</summary>
internal sealed record GuestRoute(string Device, IPAddress? Destination, int PrefixLength, IPAddress? Gateway, IPAddress? Source, byte Scope);
