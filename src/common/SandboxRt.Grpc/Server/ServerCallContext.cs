using Microsoft.AspNetCore.Http;

namespace SandboxRt.Grpc.Server;

/// <summary>What a handler knows about the call it serves.</summary>
public sealed class ServerCallContext
{
    private readonly HttpContext _http;

    internal ServerCallContext(HttpContext http, string method, DateTime? deadline, CancellationToken cancellationToken)
    {
        _http = http;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The full method path, for example <c>/sandboxrt.agent.v1.Health/Check</c>.</summary>
    public string Method { get; }

    /// <summary>When the client's grpc-timeout expires (UTC), or null without a deadline.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Sends the response headers now, before any response message: how a streaming handler tells its
    /// client that the call was accepted (a client-streaming call otherwise answers only at its end).
    /// </summary>
    /// <param name="metadata">Custom response headers sent with them (names in lower case).</param>
    public async Task WriteResponseHeadersAsync(IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        if (_http.Response.HasStarted)
            throw new InvalidOperationException($"{Method}: the response headers were already sent");
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
            _http.Response.Headers[name] = value;
        await _http.Response.StartAsync(cancellationToken);
        await _http.Response.BodyWriter.FlushAsync(cancellationToken);
    }

    /// <summary>A request header (custom metadata), or null.</summary>
    public string? GetRequestHeader(string name)
    {
        var value = _http.Request.Headers[name];
        return value.Count == 0 ? null : value.ToString();
    }
}
