namespace SandboxRt.Ttrpc;

/// <summary>What a handler knows about the call it is answering.</summary>
public sealed class TtrpcCallContext
{
    internal TtrpcCallContext(string service, string method, TtrpcMetadata metadata, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Service = service;
        Method = method;
        Metadata = metadata;
        Timeout = timeout;
        CancellationToken = cancellationToken;
    }

    public string Service { get; }

    public string Method { get; }

    /// <summary>"/service/method", as the Go implementation names calls in its logs.</summary>
    public string FullMethod => $"/{Service}/{Method}";

    public TtrpcMetadata Metadata { get; }

    /// <summary>The client's timeout (from timeout_nano); null when it sent none.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Cancelled when the timeout expires, the client disconnects or the server stops.</summary>
    public CancellationToken CancellationToken { get; }
}
