using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;

namespace SandboxRt.Shim.Pods;

/// <summary>
/// What a pod waits on in the background: one task per process (the process ends in the guest, or the VM
/// dies; then its output is drained and its exit published) and the agent's event stream (OOM kills).
/// All of them end when the pod stops (<see cref="StopAsync"/>).
/// </summary>
internal sealed class PodWatchers(string podId, PodTable table, ILogger log)
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _watchers = [];
    private Task _agentEvents = Task.CompletedTask;

    /// <summary>Waits for <paramref name="process"/> to end in the guest, or for the VM to die; then drains its output and publishes the exit.</summary>
    public void Watch(PodContainer container, PodProcess process)
    {
        var task = Task.Run(async () =>
        {
            var exit = await container.Guest.WaitAsync(process.ExecId, log, _stopping.Token);
            if (process.Stdio is { } stdio)
            {
                await stdio.DrainAsync();
                await stdio.DisposeAsync();
            }
            table.Finish(container, process, exit);
        });
        lock (_watchers)
        {
            _watchers.RemoveAll(t => t.IsCompleted);
            _watchers.Add(task);
        }
    }

    /// <summary>Publishes the guest's OOM kills for the pod's containers, from the agent's event stream.</summary>
    public void ForwardAgentEvents(IGuestAccess sandbox) => _agentEvents = Task.Run(async () =>
    {
        try
        {
            await foreach (var e in sandbox.Agent.EventsAsync(_stopping.Token))
                if (e.Oom)
                    table.Oom(e.ContainerId, e.Timestamp);
        }
        catch (Exception e) when (e is AgentException or OperationCanceledException or IOException)
        {
            if (!_stopping.IsCancellationRequested)
                log.LogDebug("pod {Pod}: agent events ended: {Error}", podId, e.Message);
        }
    });

    /// <summary>Cancels every wait; <see cref="AllEndedAsync"/> then completes once they have all ended.</summary>
    public void Stop() => _stopping.Cancel();

    /// <summary>Completes when every watcher has ended, however it ended (the VM is gone: that no longer matters).</summary>
    public Task AllEndedAsync()
    {
        Task[] all;
        lock (_watchers)
            all = [.. _watchers, _agentEvents];
        return Task.WhenAll(all).ContinueWith(t => t.Exception, TaskScheduler.Default);
    }
}
