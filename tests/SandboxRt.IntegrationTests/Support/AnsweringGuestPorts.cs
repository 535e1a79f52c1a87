using System.Text;
using System.Threading.Channels;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A guest's ports, as the agent's ForwardPort reaches them, for host tests of what the shim does in a
/// pod's namespace: on <see cref="ListeningPort"/> a server reads the whole request (until the host's
/// half-close) and answers "answer to REQUEST on PORT", then closes; every other port is Unavailable, as
/// the agent reports a port nothing listens on. Each port asked for is recorded.
/// </summary>
internal sealed class AnsweringGuestPorts(int listeningPort) : IAgentPorts
{
    public int ListeningPort => listeningPort;

    public Channel<int> Asked { get; } = Channel.CreateUnbounded<int>();

    public Task<IPortChannel> ForwardPortAsync(int port, CancellationToken cancellationToken = default)
    {
        Asked.Writer.TryWrite(port);
        return port == listeningPort
            ? Task.FromResult<IPortChannel>(new Connection(port))
            : Task.FromException<IPortChannel>(new AgentException(AgentErrorKind.Unavailable, "ForwardPort", $"nothing accepts connections on port {port} in the guest"));
    }

    private sealed class Connection(int port) : IPortChannel
    {
        private readonly MemoryStream _request = new();
        private readonly TaskCompletionSource _halfClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _answered;

        public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken = default)
        {
            await _halfClosed.Task.WaitAsync(cancellationToken);
            if (_answered)
                return null;
            _answered = true;
            return Encoding.ASCII.GetBytes($"answer to {Encoding.ASCII.GetString(_request.ToArray())} on {port}");
        }

        public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            lock (_request)
                _request.Write(data.Span);
            return Task.CompletedTask;
        }

        public Task CompleteAsync()
        {
            _halfClosed.TrySetResult();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
