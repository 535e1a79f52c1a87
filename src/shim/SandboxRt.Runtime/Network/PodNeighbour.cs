using System.Net;

namespace SandboxRt.Runtime.Network;

/// <summary>A static (permanent) neighbour entry of the pod's network namespace.</summary>
public sealed record PodNeighbour(string Device, IPAddress Address, byte[] Mac);
