namespace SandboxRt.Runtime.Network.EmbeddedDns;

/// <summary>Where the host sends a guest's query: Docker's embedded server (<see cref="EmbeddedDnsUpstream"/>), or a test's fake.</summary>
public interface IDnsUpstream
{
    /// <summary>
    /// Sends one query (over TCP when <paramref name="tcp"/>: the guest's client asked over TCP) and returns
    /// the answer to it, or null when none came before cancellation.
    /// </summary>
    Task<byte[]?> ExchangeAsync(ReadOnlyMemory<byte> query, bool tcp, CancellationToken cancellationToken);
}
