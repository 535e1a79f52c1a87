using System.Net.Sockets;
using System.Text;

namespace SandboxRt.Runtime.VmCache;

/// <summary>
/// One claim's connection to a CLI VM cache entry's claim.sock, either end: lines of UTF-8, each at most
/// <see cref="MaxLineBytes"/>. The claimant sends the claim (JSON) and gets "ok" or "no: WHY"; later it
/// sends "network" and gets "ok" or "no: WHY" again (CliVmCache.TryClaimAsync, CliVmCacheEntry). A line
/// may also end at the peer's end of sending (a claimant that sends one claim and shuts its side down).
/// Bytes after a line are kept for the next read, so a peer that sends both lines at once is read right.
/// </summary>
public sealed class ClaimConnection(Socket socket) : IDisposable
{
    public const int MaxLineBytes = 64 * 1024;

    private readonly byte[] _buffer = new byte[MaxLineBytes];
    private int _length;
    private bool _ended;

    public Socket Socket { get; } = socket;

    /// <summary>The next line without its newline; null when the peer ended (or ends) sending before any byte of it.</summary>
    /// <exception cref="InvalidDataException">A line longer than <see cref="MaxLineBytes"/>.</exception>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', 0, _length);
            if (newline >= 0)
                return Take(newline, newline + 1);
            if (_ended)
                return _length == 0 ? null : Take(_length, _length);
            if (_length == _buffer.Length)
                throw new InvalidDataException($"a line longer than {MaxLineBytes} bytes");
            int n = await Socket.ReceiveAsync(_buffer.AsMemory(_length), SocketFlags.None, cancellationToken);
            if (n == 0)
                _ended = true;
            _length += n;
        }
    }

    public async Task WriteLineAsync(string line, CancellationToken cancellationToken) =>
        await Socket.SendAsync(Encoding.UTF8.GetBytes(line.ReplaceLineEndings(" ") + "\n"), SocketFlags.None, cancellationToken);

    private string Take(int lineLength, int consumed)
    {
        var line = Encoding.UTF8.GetString(_buffer, 0, lineLength);
        Array.Copy(_buffer, consumed, _buffer, 0, _length - consumed);
        _length -= consumed;
        return line;
    }

    public void Dispose() => Socket.Dispose();
}
