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

    /// <summary>
    /// Starts `ctr events` and returns once it is subscribed: `ctr events` says nothing until an event
    /// comes, so a namespace is made and removed until its /namespaces/create event has come through
    /// (an event published before the subscription is never delivered, hence each round makes a new one).
    /// </summary>
    public static async Task<EventWatch> StartAsync(string containerdSocket)
    {
        var watch = new EventWatch(Process.Start(new ProcessStartInfo("ctr", ["-a", containerdSocket, "events"]) { RedirectStandardOutput = true })!);
        var probe = "srt-events-probe-" + Guid.NewGuid().ToString("N")[..8];
        await Condition.WaitAsync(async () =>
        {
            if (watch._lines.Any(l => l.Contains(" /namespaces/create ") && l.Contains(probe)))
                return true;
            (await Command.RunAsync("ctr", ["-a", containerdSocket, "namespaces", "create", probe])).Ok();
            (await Command.RunAsync("ctr", ["-a", containerdSocket, "namespaces", "remove", probe])).Ok();
            return false;
        }, "`ctr events` to deliver an event made after its start");
        return watch;
    }

    /// <summary>The first line with this topic that mentions the container (fails after 60 s, listing what came).</summary>
    public async Task<string> WaitForAsync(string topic, string containerId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var line = _lines.FirstOrDefault(l => l.Contains(" " + topic + " ") && l.Contains(containerId));
            if (line is not null)
                return line;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no {topic} event for {containerId}; events seen:\n{string.Join('\n', _lines)}");
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
    }
}
