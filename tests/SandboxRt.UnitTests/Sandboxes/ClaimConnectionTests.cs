using System.Net.Sockets;
using System.Text;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.UnitTests.Sandboxes;

/// <summary>
/// The claim's line protocol over a socket pair: two lines sent at once are read as two (the second is
/// not lost to the first read), a claimant's last line may end at its end of sending, a line past the
/// bound is refused rather than buffered, and a line written with newlines in it stays one line.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ClaimConnectionTests
{
    private static (ClaimConnection Reader, Socket Writer) Pair()
    {
        var (a, b) = SocketPair();
        return (new ClaimConnection(a), b);
    }

    private static (Socket, Socket) SocketPair()
    {
        var path = Path.Combine(Path.GetTempPath(), "srt-claim-" + Guid.NewGuid().ToString("N")[..12] + ".sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var server = listener.Accept();
        File.Delete(path);
        return (server, client);
    }

    [Fact]
    public async Task Two_lines_sent_at_once_are_read_one_at_a_time()
    {
        var (reader, writer) = Pair();
        using var _ = reader;
        using var __ = writer;
        writer.Send(Encoding.UTF8.GetBytes("{\"container\":\"c\"}\nnetwork\n"));
        Assert.Equal("{\"container\":\"c\"}", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Equal("network", await reader.ReadLineAsync(CancellationToken.None));
        writer.Shutdown(SocketShutdown.Send);
        Assert.Null(await reader.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_last_line_may_end_at_the_end_of_sending()
    {
        var (reader, writer) = Pair();
        using var _ = reader;
        using var __ = writer;
        writer.Send(Encoding.UTF8.GetBytes("not json"));
        writer.Shutdown(SocketShutdown.Send);
        Assert.Equal("not json", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Null(await reader.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_line_past_the_bound_is_refused()
    {
        var (reader, writer) = Pair();
        using var _ = reader;
        using var __ = writer;
        var sending = Task.Run(() =>
        {
            try
            {
                writer.Send(new byte[ClaimConnection.MaxLineBytes + 1]);
            }
            catch (SocketException)
            {
                // the reader closed on refusing it
            }
        });
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadLineAsync(CancellationToken.None));
        Assert.Contains(ClaimConnection.MaxLineBytes.ToString(), e.Message);
        reader.Dispose();
        await sending;
    }

    [Fact]
    public async Task A_written_line_with_newlines_in_it_stays_one_line()
    {
        var (reader, writer) = Pair();
        using var _ = reader;
        using var sender = new ClaimConnection(writer);
        await sender.WriteLineAsync("no: first\nsecond", CancellationToken.None);
        await sender.WriteLineAsync("ok", CancellationToken.None);
        Assert.Equal("no: first second", await reader.ReadLineAsync(CancellationToken.None));
        Assert.Equal("ok", await reader.ReadLineAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_read_is_cancelled_by_its_token()
    {
        var (reader, writer) = Pair();
        using var _ = reader;
        using var __ = writer;
        using var cancel = new CancellationTokenSource();
        var read = reader.ReadLineAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }
}
