using System.Net.Sockets;

namespace SandboxRt.Runtime.Channels;

internal static class UnixSockets
{
    public static async ValueTask<Socket> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path) && !Path.Exists(path))
            throw new TransientChannelException($"{path} does not exist yet");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads one '\n'-terminated ASCII line byte by byte, so that nothing after it is consumed.</summary>
    public static async ValueTask<string> ReadLineAsync(Socket socket, int maxLength, CancellationToken cancellationToken)
    {
        var line = new System.Text.StringBuilder();
        var one = new byte[1];
        while (line.Length < maxLength)
        {
            int n = await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken);
            if (n == 0)
                throw new TransientChannelException("the peer closed the connection before sending a line");
            if (one[0] == (byte)'\n')
                return line.ToString();
            line.Append((char)one[0]);
        }
        throw new IOException($"no end of line within {maxLength} bytes (got '{line}')");
    }
}
