using System.Threading.Channels;
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
/// on containerd's event service (containerd calls the shim while handling events).
/// </summary>
internal sealed class EventPublisher : ITaskEventSink, IAsyncDisposable
{
    private const int Attempts = 5;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private readonly string _address;
    private readonly string _namespace;
    private readonly ILogger _log;
    private readonly Channel<TaskEvent> _queue = Channel.CreateUnbounded<TaskEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private TtrpcClient? _client;

    public EventPublisher(string address, string ns, ILogger log)
    {
        _address = address;
        _namespace = ns;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    public void Publish(TaskEvent taskEvent)
    {
        if (!_queue.Writer.TryWrite(taskEvent))
            _log.LogWarning("event {Kind} of {Id} after shutdown: dropped", taskEvent.Kind, taskEvent.ContainerId);
    }

    /// <summary>Sends what is queued (bounded by <paramref name="timeout"/>) and closes the connection.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_loop, Task.Delay(timeout)) != _loop)
            _log.LogWarning("events: {Count} not sent to containerd within {Seconds} s of shutdown", _queue.Reader.Count, timeout.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync(TimeSpan.FromSeconds(5));
        if (_client is not null)
            await _client.DisposeAsync();
    }

    private async Task RunAsync()
    {
        await foreach (var taskEvent in _queue.Reader.ReadAllAsync())
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
