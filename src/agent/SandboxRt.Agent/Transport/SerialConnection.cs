using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Transport;

/// <summary>
/// One host attachment to a virtio-serial port, as a Kestrel connection. A dedicated thread waits for
/// data and fills the input pipe (a thread-pool thread parked in read would starve the pool of a
/// one-vCPU guest); writes drain the output pipe, each completing as soon as the host side accepts the
/// buffer, and failing once the host has detached (<see cref="VirtioPortIo"/>: the port is non-blocking,
/// since a blocking write to a detached host waits for the next host).
/// </summary>
internal sealed class SerialConnection : ConnectionContext
{
    private const int ReadChunk = 64 * 1024;
    private readonly SafeFdHandle _fd;
    private readonly string _devicePath;
    private readonly Action _onClosed;
    private readonly Pipe _input = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
    private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _closed = new();
    private int _disposed;

    public SerialConnection(SafeFdHandle fd, string devicePath, EndPoint local, Action onClosed)
    {
        _fd = fd;
        _devicePath = devicePath;
        _onClosed = onClosed;
        LocalEndPoint = local;
        ConnectionId = "serial-" + Environment.TickCount64;
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        ConnectionClosed = _closed.Token;
        new Thread(ReadLoop) { IsBackground = true, Name = "serial-read" }.Start();
        _ = WriteLoopAsync();
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }

    /// <summary>
    /// Reads until the host detaches (read returns 0). Once this side has closed the connection (Kestrel
    /// is done with it, or refused the caller) it goes on reading and dropping what the host sends, and
    /// only then closes the port: the next session cannot open it (EBUSY) until this host client has
    /// gone, so a client this side closed never gets a second hello on the same attachment.
    /// </summary>
    private void ReadLoop()
    {
        Exception? error = null;
        bool draining = false;
        var dropped = new byte[ReadChunk];
        try
        {
            while (true)
            {
                if (draining || _disposed != 0)
                {
                    draining = true;
                    if (VirtioPortIo.Read(_fd, dropped, _devicePath) == 0)
                        break;
                    continue;
                }
                var memory = _input.Writer.GetMemory(ReadChunk);
                int n = VirtioPortIo.Read(_fd, memory.Span, _devicePath);
                if (n == 0)
                    break; // the host detached
                if (_disposed != 0)
                    continue; // closed meanwhile: these bytes are dropped too
                _input.Writer.Advance(n);
                var flush = _input.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
                if (flush.IsCompleted || flush.IsCanceled)
                    draining = true;
            }
        }
        catch (Exception e) when (_disposed == 0)
        {
            error = e;
        }
        catch
        {
        }
        _input.Writer.Complete(error);
        _fd.Dispose(); // the port closes: the listener's next open succeeds
    }

    private async Task WriteLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _output.Reader.ReadAsync();
                foreach (var segment in result.Buffer)
                    VirtioPortIo.Write(_fd, segment.Span, _devicePath);
                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        _output.Reader.Complete(error);
    }

    public override void Abort(ConnectionAbortedException abortReason) => _ = DisposeAsync();

    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return ValueTask.CompletedTask;
        _output.Writer.Complete();
        _input.Reader.Complete();
        try
        {
            _closed.Cancel();
        }
        catch (AggregateException)
        {
        }
        // The reader closes the port once the host has detached (see ReadLoop); the listener retries its
        // open (EBUSY) until then.
        _onClosed();
        return ValueTask.CompletedTask;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
