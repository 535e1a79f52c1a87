using System.Net.Sockets;

namespace SandboxRt.Ttrpc.Server;

/// <summary>The socket file a listening server owns: clearing a stale one away, and the directory it lives in.</summary>
internal static class UnixSocketFile
{
    /// <summary>
    /// Makes <paramref name="path"/> free for a new listener. Nothing there: fine. A socket nobody
    /// answers on (left by a server that died): removed. A socket a server answers on, or anything that
    /// is not a socket: refused with an error that says which.
    /// </summary>
    public static void ClearStale(string path)
    {
        var mode = Interop.FileMode(path);
        if (mode is null)
            return;
        if ((mode.Value & Interop.FileTypeMask) != Interop.FileTypeSocket)
            throw new IOException($"ttrpc: cannot listen on {path}: it exists and is not a socket");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // A full accept backlog: someone is listening, just busy.
        }
        catch (SocketException e)
        {
            throw new IOException($"ttrpc: cannot listen on {path}: probing the existing socket failed: {e.SocketErrorCode}: {e.Message}", e);
        }
        throw new IOException($"ttrpc: cannot listen on {path}: a server is already answering there");
    }

    /// <summary>Creates the socket's directory (mode 0700) when it is missing, as containerd's NewSocket does.</summary>
    public static void CreateDirectory(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Removes the socket file; a failure is returned, not thrown, because it happens during shutdown.</summary>
    public static Exception? TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }
}
