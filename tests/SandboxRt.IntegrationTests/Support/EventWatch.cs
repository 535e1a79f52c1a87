using System.Collections.Concurrent;
using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>`ctr events` running beside a test: the events containerd got, one line each ("TIME NAMESPACE TOPIC {fields}").</summary>
public sealed class EventWatch : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private EventWatch(Process process)
    {
        _process = process;
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                _lines.Enqueue(line);
        });
    }

    public static async Task<EventWatch> StartAsync(string containerdSocket)
    {
        var watch = new EventWatch(Process.Start(new ProcessStartInfo("ctr", ["-a", containerdSocket, "events"]) { RedirectStandardOutput = true })!);
        await Task.Delay(500); // subscribed before the test acts
        return watch;
    }

    /// <summary>The first line with this topic that mentions the container (fails after 10 s, listing what came).</summary>
    public async Task<string> WaitForAsync(string topic, string containerId)
    {
        for (int i = 0; i < 100; i++)
        {
            var line = _lines.FirstOrDefault(l => l.Contains(" " + topic + " ") && l.Contains(containerId));
            if (line is not null)
                return line;
            await Task.Delay(100);
        }
        Assert.Fail($"no {topic} event for {containerId}; events seen:\n{string.Join('\n', _lines)}");
        return "";
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
    }
}
