using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// One API request that carries descriptors: Cloud Hypervisor reads SCM_RIGHTS descriptors with the first
/// bytes of a request (vm.add-net takes its tap so; the body names none), which HttpClient cannot send.
/// So this writes the HTTP/1.1 request itself in one sendmsg on its own connection (Connection: close)
/// and reads the status line, the headers and a Content-Length body back.
/// </summary>
internal static class ClhDescriptorRequest
{
    private const int MaxResponseBytes = 64 * 1024;

    public static async Task PutAsync(string apiSocket, string endpoint, JsonNode body, IReadOnlyList<System.Runtime.InteropServices.SafeHandle> descriptors,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var what = $"cloud-hypervisor API {apiSocket}: PUT /api/v1/{endpoint}";
        var json = Encoding.UTF8.GetBytes(body.ToJsonString());
        var head = Encoding.ASCII.GetBytes($"PUT /api/v1/{endpoint} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" +
                                           $"Content-Length: {json.Length}\r\nConnection: close\r\n\r\n");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(apiSocket)); // blocking: the sendmsg below must not see EAGAIN
            DescriptorSend.Send(socket.SafeHandle, [.. head, .. json], descriptors);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var (status, reason, text) = await ReadResponseAsync(stream, deadline.Token);
            if (status is < 200 or > 299)
                throw new HypervisorException($"{what}: {status} {reason}: {Diagnostics.SafeText.Escape(text, 500)}");
        }
        catch (Exception e) when (e is SocketException or SyscallException or IOException)
        {
            throw new HypervisorException($"{what}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HypervisorException($"{what}: no answer within {timeout.TotalSeconds:F0} s (cloud_hypervisor.api_timeout_seconds)", e);
        }
    }

    private static async Task<(int Status, string Reason, string Body)> ReadResponseAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(buffer)) < 0)
        {
            int n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0 || buffer.Count + n > MaxResponseBytes)
                throw new IOException(n == 0 ? "the connection closed before a whole response head" : $"no response head within {MaxResponseBytes} bytes");
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        var lines = Encoding.ASCII.GetString(buffer.GetRange(0, headEnd).ToArray()).Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(statusLine[1], out int status))
            throw new IOException($"not an HTTP/1.x status line: '{Diagnostics.SafeText.Escape(lines[0], 80)}'");
        int length = 0;
        foreach (var line in lines.Skip(1))
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) && !int.TryParse(line[15..].Trim(), out length))
                throw new IOException($"bad Content-Length: '{Diagnostics.SafeText.Escape(line, 80)}'");
        if (length is < 0 or > MaxResponseBytes)
            throw new IOException($"a response body of {length} bytes");
        var body = buffer.Skip(headEnd + 4).ToList();
        while (body.Count < length)
        {
            int n = await stream.ReadAsync(chunk, cancellationToken);
            if (n == 0)
                throw new IOException("the connection closed inside the response body");
            body.AddRange(chunk.AsSpan(0, n));
        }
        return (status, statusLine.Length > 2 ? statusLine[2] : "", Encoding.UTF8.GetString(body.Take(length).ToArray()));
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
                return i;
        return -1;
    }
}
