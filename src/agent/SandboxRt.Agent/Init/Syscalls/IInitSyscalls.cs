// The seam between a container's init steps and the kernel (youki's `Syscall` trait is the model).
// Init's order is its contract: mounts in spec order before pivot_root, read-only and masked paths after
// it, the bounding set before setuid, capset after it, no_new_privs before seccomp, seccomp last before
// execve. Those steps take this interface, so that unit tests can run them against a recording fake and
// assert the order without root or a VM; LinuxInitSyscalls is the production implementation, a thin
// delegation to SandboxRt.Interop. The raw operations are split by concern into small interfaces; this
// one only joins them, so that one object (the fake in particular) records every call in one sequence.
namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>Every raw operation container init performs (see the file comment).</summary>
internal interface IInitSyscalls : IMountSyscalls, IInitFiles, INamespaceSyscalls, ICredentialSyscalls, ICapabilitySyscalls, IProcessSyscalls
{
}
