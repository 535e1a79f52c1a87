// The stats socket of a pod's shim, and the monitor's side of it.
//
// A shim holds the only connection to its pod's agent (the virtio-serial channel serves one client), so
// the monitor cannot ask the guest itself, as it does through a CLI container's relay proxy; the shim
// answers for its pod instead, as Kata's shims answer kata-monitor. The socket is `stats.sock` in the
// shim's own directory (/run/sandboxrt/shim/HASH, 0700), mode 0600: only root reaches it. The protocol is
// the smallest that works: the monitor connects and sends nothing; the shim writes one PodStatsReport as
// JSON and closes. The monitor reads at most MaxReportBytes and gives up after its own timeout, so a
// stuck or chatty shim costs a scrape at most that bound and an error of phase "stats".
using System.Net.Sockets;
using System.Text.Json;

namespace SandboxRt.Runtime.Monitoring;

public static class PodStatsSocket
{
    /// <summary>Where containerd-shim-sandboxrt-v2 keeps one directory per pod.</summary>
    public const string ShimRoot = "/run/sandboxrt/shim";

    public const string FileName = "stats.sock";

    /// <summary>The largest report the monitor reads (a pod of thousands of containers fits).</summary>
    public const int MaxReportBytes = 1024 * 1024;

    public static string PathIn(string shimDirectory) => Path.Combine(shimDirectory, FileName);

    /// <summary>The stats sockets of every shim directory under <paramref name="shimRoot"/> (none when it does not exist).</summary>
    public static IReadOnlyList<string> Scan(string shimRoot)
    {
        try
        {
            return Directory.EnumerateDirectories(shimRoot).Select(PathIn).Where(Path.Exists).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Asks one shim for its pod's report; IOException or InvalidDataException when it cannot or says nonsense.</summary>
    public static async Task<PodStatsReport> AskAsync(string socketPath, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException e)
        {
            throw new IOException($"connect {socketPath}: {e.SocketErrorCode} ({e.Message})", e);
        }
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new IOException($"recv {socketPath}: {e.SocketErrorCode} ({e.Message})", e);
            }
            if (n == 0)
                break;
            if (received.Length + n > MaxReportBytes)
                throw new InvalidDataException($"{socketPath}: the shim's report is larger than {MaxReportBytes} bytes");
            received.Write(buffer, 0, n);
        }
        try
        {
            return JsonSerializer.Deserialize(received.GetBuffer().AsSpan(0, (int)received.Length), PodStatsJsonContext.Default.PodStatsReport)
                ?? throw new InvalidDataException($"{socketPath}: the shim's report is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{socketPath}: not a pod stats report: {e.Message}");
        }
    }
}
