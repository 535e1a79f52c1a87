namespace SandboxRt.Runtime.VmCache;

/// <summary>
/// A CLI VM cache entry that took a container (CliVmCache.TryClaimAsync): the entry's id, and the claim's
/// connection, kept open for the claim's second step. The entry has recorded the container, restored the
/// VM's priority and moved it into the container's cgroup; it hot-plugs the network namespace's
/// interfaces only when asked (<see cref="AttachNetworkAsync"/>), since the relay claims while the
/// prestart hooks (Docker's libnetwork-setkey) are still putting them there.
/// </summary>
public sealed class CachedVmClaim(string entryId, ClaimConnection connection) : IDisposable
{
    /// <summary>How long the entry may take to plug the NICs and configure them in the guest.</summary>
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(30);

    public string EntryId { get; } = entryId;

    /// <summary>Asks the entry for the claim's network namespace (none: nothing to do); throws with the entry's reason when it could not.</summary>
    public async Task AttachNetworkAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttachTimeout);
        string? answer;
        try
        {
            await connection.WriteLineAsync(CliVmCache.NetworkRequest, timeout.Token);
            answer = await connection.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            answer = $"no answer within {AttachTimeout.TotalSeconds} s";
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or InvalidDataException)
        {
            answer = e.Message;
        }
        if (answer != "ok")
            throw new InvalidOperationException($"VM cache entry {EntryId} could not plug the network namespace's interfaces into its VM: {answer ?? "the entry went away"}");
    }

    public void Dispose() => connection.Dispose();
}
