using SandboxRt.Grpc;

namespace SandboxRt.Ttrpc;

/// <summary>
/// A ttrpc call that ended with a non-OK status. Handlers throw it to answer with a status; clients
/// receive it for every failed call. <see cref="Exception.Message"/> is exactly the status message that
/// travels on the wire.
/// </summary>
public sealed class TtrpcException : Exception
{
    public TtrpcException(StatusCode code, string message)
        : this(code, message, null)
    {
    }

    public TtrpcException(StatusCode code, string message, Exception? innerException)
        : base(message, innerException) => Code = code;

    public StatusCode Code { get; }

    public override string ToString() => $"{nameof(TtrpcException)} ({Code}): {base.ToString()}";
}
