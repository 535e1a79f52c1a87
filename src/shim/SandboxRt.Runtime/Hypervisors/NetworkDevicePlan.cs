using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>A NIC for the VM: an open tap queue the hypervisor inherits, and the MAC and MTU the guest sees.</summary>
public sealed record NetworkDevicePlan(SafeFdHandle Tap, byte[] Mac, int Mtu);
