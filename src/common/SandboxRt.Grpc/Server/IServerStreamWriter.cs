namespace SandboxRt.Grpc.Server;

/// <summary>Writes the response messages of a server-streaming call, in order.</summary>
public interface IServerStreamWriter<in T>
{
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}
