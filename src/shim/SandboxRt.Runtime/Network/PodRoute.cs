using System.Net;

namespace SandboxRt.Runtime.Network;

/// <summary>A route of the pod's network namespace on one of its interfaces. Destination null is the default route.</summary>
public sealed record PodRoute(string Device, IPAddress? Destination, int PrefixLength, IPAddress? Gateway, IPAddress? Source, byte Scope);
