using SandboxRt.Interop;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IFileServer"/> that dies when the test says (<see cref="Die"/>) and counts its stops.</summary>
internal sealed class FakeFileServer(int pid = 4343) : IFileServer
{
    private readonly TaskCompletionSource<WaitStatus> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stops;

    public int Pid => pid;
    public Task<WaitStatus> Exited => _exited.Task;
    public int Stops => Volatile.Read(ref _stops);

    /// <summary>The line it says it ended with.</summary>
    public string LastWords { get; set; } = "fuse: session ended";

    public void Die(int code) => _exited.TrySetResult(new WaitStatus(code << 8));

    public Task<string?> DescribeExitAsync() =>
        Task.FromResult(_exited.Task.IsCompleted ? $"virtiofsd (pid {pid}) {_exited.Task.Result}: {LastWords}" : null);

    public Task StopAsync()
    {
        Interlocked.Increment(ref _stops);
        _exited.TrySetResult(new WaitStatus(Runtime.Processes.Signals.SIGTERM));
        return Task.CompletedTask;
    }
}
