using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using SandboxRt.Containerd.Protocol;
using SandboxRt.Containerd.Protocol.EventsService;
using SandboxRt.Shim.Pods;
using SandboxRt.Ttrpc;

namespace SandboxRt.Shim.Service;

/// <summary>
/// Forwards the pod's task events to containerd (the Events service at TTRPC_ADDRESS), one at a time and
/// in order, on one ttrpc connection that is made again when it breaks. An event containerd cannot take
/// is retried a few times and then dropped with an error in the log: a shim never blocks its Task API
/// on containerd's event service (containerd calls the shim while handling events). The queue is bounded
/// against the guest (TaskEventQueue): OOM events, which the guest reports, are coalesced per container
/// while one waits, counted, and logged (the first and then every <see cref="LogCoalescedEvery"/>th).
/// </summary>
internal sealed class EventPublisher : ITaskEventSink, IAsyncDisposable
{
    private const int Attempts = 5;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private readonly string _address;
    private readonly string _namespace;
    private readonly ILogger _log;
    public const int LogCoalescedEvery = 1000;
    private readonly TaskEventQueue _queue = new();
    private readonly Task _loop;
    private TtrpcClient? _client;

    public EventPublisher(string address, string ns, ILogger log)
    {
        _address = address;
        _namespace = ns;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events waiting to be sent to containerd.</summary>
    public int Pending => _queue.Count;

    /// <summary>OOM events coalesced into one that was still waiting (the guest sent them faster than containerd took them).</summary>
    public long Coalesced => _queue.Coalesced;

    public void Publish(TaskEvent taskEvent)
    {
        switch (_queue.Enqueue(taskEvent))
        {
            case TaskEventQueueResult.Closed:
                _log.LogWarning("event {Kind} of {Id} after shutdown: dropped", taskEvent.Kind, taskEvent.ContainerId);
                break;
            case TaskEventQueueResult.Coalesced when _queue.Coalesced is var n && (n == 1 || n % LogCoalescedEvery == 0):
                _log.LogWarning("event {Kind} of {Id}: coalesced with the one not yet sent to containerd ({Count} coalesced so far; the guest reports them faster than they are sent)",
                    taskEvent.Kind, taskEvent.ContainerId, n);
                break;
        }
    }

    /// <summary>Sends what is queued (bounded by <paramref name="timeout"/>) and closes the connection.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        _queue.Complete();
        if (await Task.WhenAny(_loop, Task.Delay(timeout)) != _loop)
            _log.LogWarning("events: {Count} not sent to containerd within {Seconds} s of shutdown", _queue.Count, timeout.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(TimeSpan.FromSeconds(5));
        if (_client is not null)
            await _client.DisposeAsync();
    }

    private async Task RunAsync()
    {
        await foreach (var taskEvent in _queue.ReadAllAsync())
        {
            var (topic, message) = TaskEventMessages.ToMessage(taskEvent);
            var request = new ForwardRequest
            {
                Envelope = new Envelope
                {
                    Timestamp = TaskService.Stamp(taskEvent.At),
                    Namespace = _namespace,
                    Topic = topic,
                    Event = TypeUrls.Pack(message),
                },
            };
            await SendAsync(topic, taskEvent.ContainerId, request);
        }
    }

    private async Task SendAsync(string topic, string containerId, ForwardRequest request)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                _client ??= await TtrpcClient.ConnectAsync(_address);
                var metadata = new TtrpcMetadata();
                metadata.Add(TtrpcMetadata.NamespaceKey, _namespace);
                await _client.CallAsync(TaskApi.EventsService, TaskApi.ForwardMethod, request, Empty.Parser,
                    new TtrpcCallOptions { Timeout = CallTimeout, Metadata = metadata });
                _log.LogDebug("event {Topic} of {Id} sent", topic, containerId);
                return;
            }
            catch (Exception e) when (e is TtrpcException or IOException or System.Net.Sockets.SocketException or OperationCanceledException or TimeoutException)
            {
                if (_client is not null)
                {
                    await _client.DisposeAsync();
                    _client = null;
                }
                if (attempt == Attempts)
                {
                    _log.LogError("event {Topic} of {Id}: not delivered to containerd at {Address} after {Attempts} attempts: {Error}",
                        topic, containerId, _address, Attempts, e.Message);
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100 * (1 << attempt)));
            }
        }
    }
}
