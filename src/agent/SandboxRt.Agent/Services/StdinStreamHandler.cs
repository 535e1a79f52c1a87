using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>
/// StreamStdin: one client stream per process stdin. Each message's data is queued for the process's
/// pipe (<see cref="StdinWriter"/>, a bounded queue) before the next message is read, so the agent holds
/// at most that queue, one message and Kestrel's per-stream receive window; a process that stops
/// reading stops the reads here, and HTTP/2 flow control stops the host's sender. Once the first
/// message named a process that exists, the response headers go out at once: the host waits for them
/// before its data, so an unknown process (or an agent without this method) fails before any byte is
/// sent. A half-close closes
/// the process's stdin when the first message asked for it; a cancelled stream leaves it open.
/// </summary>
internal sealed class StdinStreamHandler(ContainerManager containers)
{
    /// <summary>The most data one message may carry.</summary>
    public const int MaxChunk = 1024 * 1024;

    /// <summary>The receive limit of StreamStdin's messages: a full chunk plus the ids and framing.</summary>
    public const int MaxMessageSize = MaxChunk + 4096;

    private static readonly Dictionary<string, string> Accepted = new() { [AgentMethods.StdinAcceptedHeader] = "1" };

    public async Task<StreamStdinResponse> HandleAsync(IServerStreamReader<StdinChunk> reader, ServerCallContext context)
    {
        var first = await reader.ReadAsync(context.CancellationToken);
        if (first is null)
            throw new ArgumentException("StreamStdin: the stream ended before its first message named the process");
        var io = (await containers.Get(first.ContainerId).ProcessAsync(first.ExecId, ContainerService.AwaitsExec(context), context.CancellationToken)).Io;
        // the process exists: the response headers say so, and the host sends its data after them
        await context.WriteResponseHeadersAsync(Accepted, context.CancellationToken);
        bool closeAtEnd = first.CloseAtEnd;
        ulong written = 0;
        for (var chunk = first; chunk is not null; chunk = await reader.ReadAsync(context.CancellationToken))
        {
            if (chunk.Data.Length > MaxChunk)
                throw new ArgumentException($"StreamStdin: data of {chunk.Data.Length} bytes (at most {MaxChunk} per message)");
            if (chunk.Data.Length == 0)
                continue;
            await io.WriteStdinAsync(chunk.Data.ToByteArray(), context.CancellationToken);
            written += (ulong)chunk.Data.Length;
        }
        if (closeAtEnd)
            io.CloseStdin();
        return new StreamStdinResponse { Written = written };
    }
}
