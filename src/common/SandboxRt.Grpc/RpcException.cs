namespace SandboxRt.Grpc;

/// <summary>A call that ended with a non-OK gRPC status, on either side of the wire.</summary>
public sealed class RpcException : Exception
{
    public RpcException(StatusCode status, string detail, Exception? inner = null)
        : base($"{status}: {detail}", inner)
    {
        Status = status;
        Detail = detail;
    }

    public StatusCode Status { get; }

    /// <summary>The human-readable detail carried in grpc-message.</summary>
    public string Detail { get; }
}
