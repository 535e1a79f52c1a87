// kubectl port-forward for a pod in a VM (the CRI's PortForward).
//
// containerd serves PortForward by dialling localhost:PORT (127.0.0.1, then ::1) from a thread that joined
// the pod's network namespace on the host, and copying bytes between that connection and the client. With
// runc the pod's server listens there. With a VM nothing does: the namespace only holds the interfaces the
// VM mirrors, and its 127.0.0.1 is the host's loopback of that namespace, not the guest's, so every
// forward was refused (Kata has the same hole: kata-containers#1693).
//
// So the shim takes those connections: a listener on 127.0.0.1 in the pod's namespace, and a netfilter
// rule there (LoopbackRedirect) that sends TCP to 127.0.0.1 on any other port to it. For each connection
// it reads the port the client asked for (SO_ORIGINAL_DST; the listener's own port when asked directly),
// has the agent connect to that port on the guest's loopback (ForwardPort), and copies both ways
// (ForwardedConnection). containerd's dial now always succeeds: when nothing listens in the guest, the
// connection is reset at once, and containerd reports the reset to the client instead of a refusal.
//
// Only containerd's forwards (and whatever else a host administrator runs in that namespace) reach the
// listener: the guest's own loopback traffic never leaves the guest, and the namespace holds no host
// process (PodNetwork refuses a namespace where one lives). Bounds: at most MaxConnections at once (more
// are reset), and one message each way in flight per connection.
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SandboxRt.Interop.Netlink;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Network.PortForwarding;

public sealed class PodPortForwarding : IAsyncDisposable
{
    /// <summary>Connections forwarded at once; more are reset.</summary>
    public const int MaxConnections = 64;

    /// <summary>How long to wait after an accept that failed (out of descriptors, say) before the next.</summary>
    private static readonly TimeSpan AcceptRetry = TimeSpan.FromMilliseconds(200);

    private readonly string _namespacePath;
    private readonly Socket _listener;
    private readonly IAgentPorts _agent;
    private readonly string _podId;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly HashSet<Task> _connections = [];
    private int _disposed;

    private PodPortForwarding(string namespacePath, Socket listener, IAgentPorts agent, string podId, ILogger log)
    {
        (_namespacePath, _listener, _agent, _podId, _log) = (namespacePath, listener, agent, podId, log);
        ListenerPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The listener's port in the pod's namespace (every redirected connection arrives there).</summary>
    public int ListenerPort { get; }

    /// <summary>
    /// Listens in the pod's network namespace and redirects its loopback TCP there. Returns null, with a
    /// warning that says why, when that cannot be done (no iptables, a rule that fails): the pod runs, and
    /// port forwarding is refused as before.
    /// </summary>
    public static async Task<PodPortForwarding?> StartAsync(string namespacePath, IAgentPorts agent, string podId, ILogger log)
    {
        Socket listener;
        try
        {
            listener = NetworkNamespace.RunIn(namespacePath, () =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    socket.Listen(MaxConnections);
                    return socket;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            });
        }
        catch (Exception e) when (e is SocketException or Interop.SyscallException or ArgumentException)
        {
            log.LogWarning("pod {Pod}: no port forwarding (kubectl port-forward): cannot listen in {Path}: {Error}", podId, namespacePath, e.Message);
            return null;
        }
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        try
        {
            await LoopbackRedirect.AddAsync(namespacePath, port);
        }
        catch (Exception e) when (e is PortForwardingException or Interop.SyscallException)
        {
            listener.Dispose();
            log.LogWarning("pod {Pod}: no port forwarding (kubectl port-forward): {Error}", podId, e.Message);
            return null;
        }
        log.LogDebug("pod {Pod}: TCP to 127.0.0.1 in {Path} goes to the guest's loopback (through 127.0.0.1:{Port})", podId, namespacePath, port);
        return new PodPortForwarding(namespacePath, listener, agent, podId, log);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // (EMFILE and the like: wait a little rather than spin on a failure that lasts)
                _log.LogWarning("pod {Pod}: port forwarding: accept: {Error}", _podId, e.Message);
                try
                {
                    await Task.Delay(AcceptRetry, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            lock (_connections)
            {
                if (_connections.Count >= MaxConnections)
                {
                    _log.LogWarning("pod {Pod}: port forwarding: {Max} connections are forwarded already; one more is reset", _podId, MaxConnections);
                    ForwardedConnection.Reset(client);
                    continue;
                }
                var port = ForwardedConnection.RequestedPort(client, ListenerPort);
                var task = ForwardAsync(client, port);
                _connections.Add(task);
                task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One connection's forwarding; whatever it throws is logged here and resets the connection, so disposal never sees it.</summary>
    private async Task ForwardAsync(Socket client, int port)
    {
        try
        {
            await new ForwardedConnection(client, port, _agent, _podId, _log).RunAsync(_stop.Token);
        }
        catch (Exception e)
        {
            _log.LogWarning("pod {Pod}: port forwarding to guest port {Port} failed: {Error}", _podId, port, e.Message);
            ForwardedConnection.Reset(client);
        }
    }

    /// <summary>Stops listening, resets the connections still forwarded and removes the rule (when the namespace is still there).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] open;
        lock (_connections)
            open = [.. _connections];
        await Task.WhenAll(open);
        if (File.Exists(_namespacePath))
        {
            try
            {
                await LoopbackRedirect.RemoveAsync(_namespacePath, ListenerPort);
            }
            catch (Exception e) when (e is PortForwardingException or Interop.SyscallException or ArgumentException)
            {
                _log.LogWarning("pod {Pod}: port forwarding: the redirect rule stays in {Path}: {Error}", _podId, _namespacePath, e.Message);
            }
        }
        _stop.Dispose();
    }
}
