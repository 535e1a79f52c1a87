// The agent channel's authentication preamble.
//
// Every connection to the agent starts with these 40 bytes from the host, before HTTP/2 (and, on
// virtio-serial, after the agent's hello line): the 8-byte magic "SRTAUTH1" and the sandbox's 32-byte
// secret. The agent reads exactly that many bytes within a short deadline and serves HTTP/2 on the rest
// of the stream only when all 40 match; otherwise it closes the connection without writing a byte.
//
// Why a preamble and not an RPC or a header: nothing of HTTP/2 or gRPC runs before the check, so no
// parser the guest exposes is reachable by an unauthenticated peer, and one check in the server's
// connection pipeline covers every transport (vsock, virtio-serial, a Unix socket for tests).
// Fixed length: the reader never waits for or buffers more than 40 bytes. The magic is public and is
// checked as soon as its bytes arrive (an HTTP/2 client without the preamble is turned away at once);
// the secret is compared in constant time. There is no answer: a peer learns it was refused only by
// the close, and the host needs no extra round trip on its boot path.
using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;

namespace SandboxRt.Agent.Protocol;

public static class AgentAuthPreamble
{
    /// <summary>The fw_cfg file name under which QEMU hands the secret to the guest.</summary>
    public const string FirmwareName = "opt/io.sandboxrt/agent-token";

    /// <summary>The secret's length in bytes.</summary>
    public const int TokenLength = 32;

    /// <summary>The preamble's total length: magic and secret.</summary>
    public const int Length = 8 + TokenLength;

    /// <summary>How long the agent waits for the whole preamble after a connection arrives.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(5);

    public static ReadOnlySpan<byte> Magic => "SRTAUTH1"u8;

    /// <summary>The 40 bytes a host sends first on every connection.</summary>
    public static byte[] Build(ReadOnlySpan<byte> token)
    {
        if (token.Length != TokenLength)
            throw new ArgumentException($"the agent token must be {TokenLength} bytes, not {token.Length}", nameof(token));
        var preamble = new byte[Length];
        Magic.CopyTo(preamble);
        token.CopyTo(preamble.AsSpan(Magic.Length));
        return preamble;
    }

    /// <summary>
    /// Reads the preamble from <paramref name="input"/> and consumes exactly its bytes (what follows stays
    /// in the pipe for HTTP/2). Returns why it was refused, or null when it carries <paramref name="token"/>.
    /// Never reads past the preamble; gives up when <paramref name="cancellationToken"/> fires (the deadline).
    /// </summary>
    public static async ValueTask<string?> VerifyAsync(PipeReader input, ReadOnlyMemory<byte> token, CancellationToken cancellationToken)
    {
        if (token.Length != TokenLength)
            throw new ArgumentException($"the agent token must be {TokenLength} bytes, not {token.Length}", nameof(token));
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return "no authentication preamble before the deadline";
            }
            var buffer = result.Buffer;
            if (buffer.Length >= Length)
            {
                var preamble = buffer.Slice(0, Length);
                string? refusal = Check(preamble, token.Span);
                input.AdvanceTo(preamble.End);
                return refusal;
            }
            if (!MagicSoFarMatches(buffer))
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                return "the connection does not start with the authentication preamble";
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                return $"the peer closed the connection after {buffer.Length} of {Length} preamble bytes";
        }
    }

    private static string? Check(ReadOnlySequence<byte> preamble, ReadOnlySpan<byte> token)
    {
        Span<byte> received = stackalloc byte[Length];
        preamble.CopyTo(received);
        if (!received[..Magic.Length].SequenceEqual(Magic))
            return "the connection does not start with the authentication preamble";
        bool match = CryptographicOperations.FixedTimeEquals(received[Magic.Length..], token);
        CryptographicOperations.ZeroMemory(received);
        return match ? null : "wrong agent token";
    }

    private static bool MagicSoFarMatches(ReadOnlySequence<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, Magic.Length);
        Span<byte> head = stackalloc byte[Magic.Length];
        buffer.Slice(0, n).CopyTo(head);
        return head[..n].SequenceEqual(Magic[..n]);
    }
}
