namespace SandboxRt.Runtime.Core;

/// <summary>
/// A running sandbox as the container flow (<see cref="GuestContainer"/>) and the shim's pods use it: the
/// three concerns together (reaching the guest, watching and stopping the VM, sizing it). Code that needs
/// one concern takes that interface. <see cref="Sandboxes.Sandbox"/> is the real one; the unit tests'
/// FakeGuestSandbox runs the flow without a VM.
/// </summary>
public interface IGuestSandbox : IGuestAccess, IGuestVm, IGuestVmSize
{
}
