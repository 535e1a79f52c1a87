using System.Net.Sockets;

namespace SandboxRt.Runtime.Channels;

/// <summary>The retry loop shared by connectors: transient failures wait and try again until cancelled.</summary>
internal static class ConnectRetry
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    public static async ValueTask<Stream> RunAsync(Func<CancellationToken, ValueTask<Stream>> attempt, string what, CancellationToken cancellationToken)
    {
        Exception? last = null;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException($"{what}: gave up connecting" + (last is null ? "" : $" (last error: {last.Message})"), last, cancellationToken);
            try
            {
                return await attempt(cancellationToken);
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
            try
            {
                await Task.Delay(Interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable
            or SocketError.ConnectionReset or SocketError.TimedOut or SocketError.TryAgain or SocketError.Shutdown
            or SocketError.NotConnected,
        Interop.SyscallException sys => sys.Errno is Interop.Errno.ECONNREFUSED or Interop.Errno.ECONNRESET
            or Interop.Errno.ENODEV or Interop.Errno.ETIMEDOUT or Interop.Errno.EAGAIN or Interop.Errno.EINTR,
        TransientChannelException => true,
        IOException => true,
        _ => false,
    };
}
