using System.Threading.Channels;

namespace SandboxRt.Agent.Containers;

/// <summary>Fans container events out to every current subscriber (GetEvents streams); no replay.</summary>
internal sealed class EventBus
{
    private readonly object _lock = new();
    private readonly List<Channel<ContainerEvent>> _subscribers = new();

    public void Publish(ContainerEvent e)
    {
        lock (_lock)
            foreach (var s in _subscribers)
                s.Writer.TryWrite(e);
    }

    public async IAsyncEnumerable<ContainerEvent> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ContainerEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
            _subscribers.Add(channel);
        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
                yield return e;
        }
        finally
        {
            lock (_lock)
                _subscribers.Remove(channel);
        }
    }
}
