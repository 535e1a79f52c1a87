using System.Text;

namespace SandboxRt.Ttrpc;

/// <summary>Turns a ttrpc address ("/path" or containerd's "unix:///path") into a socket path.</summary>
internal static class UnixSocketAddress
{
    public const string Scheme = "unix://";

    /// <summary>sizeof(sockaddr_un.sun_path) less the terminating NUL (linux/un.h: UNIX_PATH_MAX 108).</summary>
    private const int MaxPathBytes = 107;

    public static string ToPath(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        var path = address.StartsWith(Scheme, StringComparison.Ordinal) ? address[Scheme.Length..] : address;
        if (path.Length == 0)
            throw new ArgumentException($"ttrpc: the address '{address}' names no socket path", nameof(address));
        int bytes = Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxPathBytes)
            throw new ArgumentException($"ttrpc: the socket path {path} is {bytes} bytes, more than the {MaxPathBytes} a Unix socket address holds", nameof(address));
        return path;
    }
}
