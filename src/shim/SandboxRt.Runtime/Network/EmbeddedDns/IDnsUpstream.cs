namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>Where the host sends a guest's query: Docker's embedded server (<see cref="EmbeddedDnsUpstream"/>), or a test's fake.</summary>
public interface IDnsUpstream
{
    /// <summary>Sends one query and returns the answer to it, or null when none came before cancellation.</summary>
    Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, CancellationToken cancellationToken);
}
