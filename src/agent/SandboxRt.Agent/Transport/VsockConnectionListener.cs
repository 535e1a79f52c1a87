using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Transport;

/// <summary>
/// Accepts vsock connections. accept4 blocks on a dedicated thread (the listening descriptor cannot
/// be wrapped in a Socket, whose accept path parses peer addresses of known families only); each
/// accepted descriptor becomes a Socket and a NetworkStream, which are epoll-driven from there on.
/// </summary>
internal sealed class VsockConnectionListener(VsockEndPoint endpoint, SafeFdHandle listener) : IConnectionListener
{
    private volatile bool _unbound;

    public EndPoint EndPoint => endpoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!_unbound)
        {
            Socket socket;
            try
            {
                socket = await Task.Factory.StartNew(() => VsockSocket.Accept(listener), cancellationToken,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
            catch (SyscallException) when (_unbound)
            {
                return null;
            }
            catch (SyscallException e) when (e.Errno is Errno.ECONNABORTED or Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM)
            {
                AgentLog.Warn($"vsock accept: {e.Message}");
                await Task.Delay(50, cancellationToken);
                continue;
            }
            return new StreamConnectionContext(new NetworkStream(socket, ownsSocket: true), endpoint, remote: null);
        }
        return null;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound = true;
        VsockSocket.StopAccepting(listener);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _unbound = true;
        listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
