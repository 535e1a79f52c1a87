using SandboxRt.Runtime.Core;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IGuestVm"/> whose death the test decides (<see cref="Die"/>) and that counts the stops asked of it.</summary>
internal sealed class FakeGuestVm : IGuestVm
{
    private readonly TaskCompletionSource<string> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int VmPid => 4242;
    public Task<string> VmExited => _exited.Task;
    public string ConsoleLogPath => "/nonexistent/console.log";
    public int Stops { get; private set; }

    public void Die(string how) => _exited.TrySetResult(how);

    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        Stops++;
        Die("stopped");
        return Task.CompletedTask;
    }
}
