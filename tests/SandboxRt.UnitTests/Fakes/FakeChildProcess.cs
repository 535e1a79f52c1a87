using System.Collections.Concurrent;
using SandboxRt.Interop;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An <see cref="IChildProcess"/> that exits when the test says (<see cref="Exit"/>) or when it gets
/// SIGKILL, and records every signal it was sent.
/// </summary>
internal sealed class FakeChildProcess(int pid = 4242) : IChildProcess
{
    private readonly TaskCompletionSource<WaitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Pid => pid;
    public Task<WaitStatus> Exited => _exited.Task;
    public ConcurrentQueue<int> Signals { get; } = new();

    public bool Signal(int signal)
    {
        if (_exited.Task.IsCompleted)
            return false;
        Signals.Enqueue(signal);
        if (signal == Runtime.Processes.Signals.SIGKILL)
            _exited.TrySetResult(new WaitStatus(signal));
        return true;
    }

    /// <summary>Exits on its own with <paramref name="code"/>.</summary>
    public void Exit(int code) => _exited.TrySetResult(new WaitStatus(code << 8));
}
