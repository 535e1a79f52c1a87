using SandboxRt.Interop;
using SandboxRt.Runtime.Relay;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>A relay run in the test process as the CLI starts one: with a status pipe, whose report is read as the CLI reads it.</summary>
internal static class RelayRun
{
    /// <summary>Starts <paramref name="relay"/> with the pipe's write end; the report arrives once the relay has said ready or failed.</summary>
    public static (Task<int> Relay, Task<RelayReport> Report) Start(Func<SafeFdHandle, Task<int>> relay)
    {
        var (read, write) = Pipes.Create();
        var running = Task.Run(() => relay(write));
        var report = Task.Run(() =>
        {
            using (read)
                return RelayStatusPipe.Read(read);
        });
        return (running, report);
    }
}
