// The virtio-serial transport.
//
// A virtio-serial port is one byte stream with no notion of connections, while HTTP/2 needs a fresh
// stream per connection (a client preface, then frames). The host side is a QEMU chardev socket that
// accepts one client at a time; the guest learns of clients only as "host connected" flips
// (poll reports POLLHUP while nobody is attached, and read returns 0).
//
// So the listener hands Kestrel one connection per host attachment:
//   1. open /dev/vportNpM (opening also discards bytes that arrived while the guest was not listening),
//      non-blocking: a write to a host that has detached fails instead of waiting for the next host
//      (VirtioPortIo),
//   2. wait until a host client is attached,
//   3. write the hello line (SerialHandshake.Hello) and only then let HTTP/2 begin. The host reads the
//      hello before sending its preface; bytes the host wrote earlier could otherwise arrive late, and a
//      host that attached while the guest still held the previous session would never see a hello and
//      reconnects (see the host's SerialChannelConnector),
//   4. when the host detaches, read returns 0, Kestrel closes the connection, the port is closed and
//      the next AcceptAsync starts over at 1; once it finds no host attached there it logs
//      SerialHandshake.HostDetachedLog (a template builder waits for it before the save),
//   5. when this side ends the connection while the host is still attached (the authentication refused
//      the caller), the connection's reader keeps the port open, dropping what that client sends, until
//      it detaches: a refused client gets no second hello on the same attachment, its calls stay
//      unanswered until it gives up, and nothing it sent is ever read as a new session.
// Only one connection exists at a time; HTTP/2 multiplexes all calls over it.
using System.Net;
using Microsoft.AspNetCore.Connections;
using SandboxRt.Agent.Protocol;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Transport;

internal sealed class SerialConnectionListener(SerialEndPoint endpoint, string devicePath) : IConnectionListener
{
    private static readonly TimeSpan HostPollInterval = TimeSpan.FromMilliseconds(10);
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly CancellationTokenSource _unbind = new();
    private int _sessions;

    public EndPoint EndPoint => endpoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbind.Token);
        try
        {
            await _oneAtATime.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (_unbind.IsCancellationRequested)
        {
            return null;
        }
        try
        {
            var fd = await OpenWhenHostAttachedAsync(linked.Token);
            _sessions++;
            return new SerialConnection(fd, devicePath, endpoint, () => _oneAtATime.Release());
        }
        catch (OperationCanceledException) when (_unbind.IsCancellationRequested)
        {
            _oneAtATime.Release();
            return null;
        }
        catch
        {
            _oneAtATime.Release();
            throw;
        }
    }

    private async Task<SafeFdHandle> OpenWhenHostAttachedAsync(CancellationToken cancellationToken)
    {
        bool told = false;
        while (true)
        {
            SafeFdHandle fd;
            try
            {
                fd = FileDescriptors.Open(devicePath, FileDescriptors.ReadWrite);
            }
            catch (SyscallException e) when (e.Errno == Errno.EBUSY)
            {
                // The previous session's reader still holds the port until the host detaches.
                await Task.Delay(HostPollInterval, cancellationToken);
                continue;
            }
            try
            {
                Descriptors.SetNonBlocking(fd); // VirtioPortIo: a write to a detached host must fail, not wait
                while ((Poller.Poll(fd, PollEvents.Out, 0) & PollEvents.Hup) != 0)
                {
                    if (_sessions > 0 && !told)
                    {
                        AgentLog.Info(SerialHandshake.HostDetachedLog);
                        told = true;
                    }
                    await Task.Delay(HostPollInterval, cancellationToken);
                }
                VirtioPortIo.Write(fd, SerialHandshake.HelloBytes, devicePath);
                return fd;
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                fd.Dispose(); // the host left before its hello was written: wait for the next one
                await Task.Delay(HostPollInterval, cancellationToken);
            }
            catch
            {
                fd.Dispose();
                throw;
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbind.Cancel();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _unbind.Cancel();
        return ValueTask.CompletedTask;
    }
}
