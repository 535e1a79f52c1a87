using System.Net;

namespace SandboxRt.Runtime.Network;

/// <summary>One interface of the pod's network namespace, as the guest must mirror it.</summary>
public sealed record PodInterface(string Name, byte[] Mac, int Mtu, IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses);
