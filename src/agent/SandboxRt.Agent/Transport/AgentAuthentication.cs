// Authentication of every connection to the agent, for every transport.
//
// The agent serves only its own host runtime. The host created a 32-byte secret for this sandbox and
// handed it to the guest out of band (QEMU's fw_cfg or Cloud Hypervisor's SMBIOS OEM strings, see
// Boot/AgentTokenSource.cs); every connection it makes starts with the preamble carrying that secret
// (SandboxRt.Agent.Protocol.AgentAuthPreamble).
// This Kestrel connection middleware runs before HTTP/2 on each connection of each transport (vsock,
// virtio-serial, the Unix socket of `serve`): it reads at most the preamble's 40 bytes within a short
// deadline, compares the secret in constant time, and on any mismatch returns without calling the next
// delegate, so Kestrel closes the connection and no HTTP/2 or gRPC code ever sees the peer's bytes.
//
// Without this, with vhost-vsock any host process (unprivileged users included) could connect to the
// guest's CID and call ExecProcess as root in the guest. What the secret protects against is other host
// users; the guest itself is untrusted anyway, and a guest that learns its own secret (guest root can
// read fw_cfg and the SMBIOS table) can use it only to talk to its own agent, which it already controls.
using Microsoft.AspNetCore.Connections;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Agent.Transport;

internal sealed class AgentAuthentication(AgentSecret token, TimeSpan deadline)
{
    /// <summary>Refusals are logged one by one up to this many, then every <see cref="LogEvery"/>th: a host flood cannot fill the console.</summary>
    private const int LogFirst = 10, LogEvery = 1000;
    private long _refused;

    public long Refused => Interlocked.Read(ref _refused);

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection => AuthenticateAsync(connection, next);

    private async Task AuthenticateAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        string? refusal;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            timeout.CancelAfter(deadline);
            refusal = await AgentAuthPreamble.VerifyAsync(connection.Transport.Input, token.Current, timeout.Token);
        }
        if (refusal is null)
        {
            await next(connection);
            return;
        }
        long count = Interlocked.Increment(ref _refused);
        if (count <= LogFirst || count % LogEvery == 0)
            AgentLog.Warn($"refused a connection on {connection.LocalEndPoint}: {refusal} ({count} refused so far)");
        // Returning closes the connection: nothing was written to it, and HTTP/2 never started.
    }
}
