using SandboxRt.Interop;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// A <see cref="ChildProcess"/> as an <see cref="IChildProcess"/>. It goes once ChildProcess, which has
/// these members already, declares the interface itself.
/// </summary>
internal sealed class ChildProcessAdapter(ChildProcess process) : IChildProcess
{
    public int Pid => process.Pid;
    public Task<WaitStatus> Exited => process.Exited;
    public bool Signal(int signal) => process.Signal(signal);
}
