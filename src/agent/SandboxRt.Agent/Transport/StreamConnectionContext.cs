using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace SandboxRt.Agent.Transport;

/// <summary>A Kestrel connection over any duplex byte stream (a vsock socket or a virtio-serial port).</summary>
internal sealed class StreamConnectionContext : ConnectionContext
{
    private static long s_nextId;
    private readonly Stream _stream;
    private readonly Action? _onClosed;
    private readonly CancellationTokenSource _closed = new();
    private int _disposed;

    public StreamConnectionContext(Stream stream, EndPoint local, EndPoint? remote, Action? onClosed = null)
    {
        _stream = stream;
        _onClosed = onClosed;
        ConnectionId = "c" + Interlocked.Increment(ref s_nextId);
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        Transport = new DuplexPipe(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
        ConnectionClosed = _closed.Token;
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }

    public override void Abort(ConnectionAbortedException abortReason) => Close();

    public override ValueTask DisposeAsync()
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException)
        {
        }
        _stream.Dispose();
        _onClosed?.Invoke();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
