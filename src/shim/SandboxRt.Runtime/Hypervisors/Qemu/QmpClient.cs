using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A QEMU Machine Protocol client: newline-delimited JSON on the VM's QMP socket. After the greeting
/// and qmp_capabilities, each command gets one "return" or "error" reply; asynchronous "event"
/// messages may arrive in between: the latest <see cref="MaxEvents"/> are kept for
/// <see cref="WaitForEventAsync"/> (a device_del's DEVICE_DELETED can precede the next reply).
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private const int MaxLine = 1024 * 1024;
    private const int MaxEvents = 64;
    private readonly List<JsonObject> _events = [];
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = await UnixSockets.ConnectAsync(socketPath, cancellationToken);
        var client = new QmpClient(socket);
        try
        {
            // QEMU keeps what the monitor could not send while no client was connected (an ACPI_DEVICE_OST
            // the guest raised after the previous client's device_add, CI 2026-12-05) and sends it to the
            // next client before the greeting: such events are older than this connection, and dropped.
            var greeting = await client.ReadMessageAsync(cancellationToken);
            for (int stale = 0; greeting?["event"] is not null && stale < MaxEvents; stale++)
                greeting = await client.ReadMessageAsync(cancellationToken);
            if (greeting?["QMP"] is null)
                throw new HypervisorException($"{socketPath}: not a QMP greeting: {greeting?.ToJsonString()}");
            await client.ExecuteAsync("qmp_capabilities", cancellationToken: cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a command and returns its "return" value; a QMP error becomes HypervisorException.</summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
            request["arguments"] = arguments;
        var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
        await _stream.WriteAsync(bytes, cancellationToken);
        return await ReadReplyAsync(command, cancellationToken);
    }

    /// <summary>
    /// Hands QEMU a descriptor under a name ("getfd", the descriptor attached to the command with
    /// SCM_RIGHTS), for commands that take "fd:NAME" (migrate).
    /// </summary>
    public async Task SendDescriptorAsync(string name, System.Runtime.InteropServices.SafeHandle descriptor, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject { ["execute"] = "getfd", ["arguments"] = new JsonObject { ["fdname"] = name } };
        SandboxRt.Interop.DescriptorSend.Send(_socket.SafeHandle, Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"), [descriptor]);
        await ReadReplyAsync("getfd", cancellationToken);
    }

    private async Task<JsonNode?> ReadReplyAsync(string command, CancellationToken cancellationToken)
    {
        while (true)
        {
            var reply = await ReadMessageAsync(cancellationToken)
                ?? throw new HypervisorException($"QMP {command}: QEMU closed the connection");
            if (reply["event"] is not null)
            {
                Keep(reply);
                continue;
            }
            if (reply["error"] is JsonObject error)
                throw new HypervisorException($"QMP {command}: {error["class"]}: {error["desc"]}");
            return reply["return"];
        }
    }

    /// <summary>
    /// The first event (kept since a command's reply, or arriving now) that <paramref name="match"/>
    /// accepts; events it does not accept stay kept. Cancelled through <paramref name="cancellationToken"/> only.
    /// </summary>
    public async Task<JsonObject> WaitForEventAsync(Func<JsonObject, bool> match, CancellationToken cancellationToken = default)
    {
        int index = _events.FindIndex(e => match(e));
        if (index >= 0)
        {
            var kept = _events[index];
            _events.RemoveAt(index);
            return kept;
        }
        while (true)
        {
            var message = await ReadMessageAsync(cancellationToken)
                ?? throw new HypervisorException("QMP: QEMU closed the connection while an event was awaited");
            if (message["event"] is null)
                continue; // no command is outstanding: nothing else arrives here
            if (match(message))
                return message;
            Keep(message);
        }
    }

    /// <summary>The events kept and not yet matched, oldest first, as QEMU sent them (for a diagnosis), at most <paramref name="max"/> characters.</summary>
    public string DescribeKeptEvents(int max = 2000)
    {
        var text = string.Join(' ', _events.Select(e => e.ToJsonString()));
        return text.Length == 0 ? "none" : text.Length <= max ? text : text[..max] + "...";
    }

    private void Keep(JsonObject e)
    {
        if (_events.Count == MaxEvents)
            _events.RemoveAt(0);
        _events.Add(e);
    }

    private async Task<JsonObject?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(cancellationToken);
        if (line is null)
            return null;
        if (line.Length > MaxLine)
            throw new HypervisorException($"QMP message of {line.Length} bytes exceeds {MaxLine}");
        return JsonNode.Parse(line) as JsonObject;
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
