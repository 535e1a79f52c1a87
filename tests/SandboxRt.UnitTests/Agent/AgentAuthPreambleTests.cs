using System.IO.Pipelines;
using System.Security.Cryptography;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.UnitTests.Agent;

/// <summary>
/// The agent's reader of the authentication preamble, fed through a pipe as Kestrel feeds it: what it
/// accepts, what it refuses, and that it never consumes more than the preamble.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AgentAuthPreambleTests
{
    private static readonly TimeSpan Never = TimeSpan.FromMinutes(2); // a safety net for a hung reader, not a wait
    private readonly byte[] _token = RandomNumberGenerator.GetBytes(AgentAuthPreamble.TokenLength);

    private static async Task<string?> Verify(Pipe pipe, byte[] token, TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? Never);
        return await AgentAuthPreamble.VerifyAsync(pipe.Reader, token, cts.Token);
    }

    [Fact]
    public async Task The_right_preamble_is_accepted_and_only_its_bytes_are_consumed()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(AgentAuthPreamble.Build(_token));
        await pipe.Writer.WriteAsync("PRI * HTTP/2.0"u8.ToArray());
        Assert.Null(await Verify(pipe, _token));
        var rest = await pipe.Reader.ReadAsync();
        Assert.Equal("PRI * HTTP/2.0"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(rest.Buffer));
    }

    [Fact]
    public async Task A_preamble_arriving_one_byte_at_a_time_is_accepted()
    {
        var pipe = new Pipe();
        var verify = Verify(pipe, _token);
        foreach (byte b in AgentAuthPreamble.Build(_token))
        {
            Assert.False(verify.IsCompleted);
            await pipe.Writer.WriteAsync(new[] { b });
        }
        Assert.Null(await verify);
    }

    [Fact]
    public async Task A_wrong_token_is_refused()
    {
        var pipe = new Pipe();
        var wrong = (byte[])_token.Clone();
        wrong[^1] ^= 1;
        await pipe.Writer.WriteAsync(AgentAuthPreamble.Build(wrong));
        Assert.Equal("wrong agent token", await Verify(pipe, _token));
    }

    [Fact]
    public async Task An_http2_client_without_the_preamble_is_refused_at_its_first_bytes()
    {
        // The writer is never completed and the deadline is far: the refusal comes from the bytes alone.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        Assert.Equal("the connection does not start with the authentication preamble", await Verify(pipe, _token));
    }

    [Fact]
    public async Task A_first_byte_that_is_not_the_magic_is_refused_without_waiting_for_more()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("X"u8.ToArray());
        Assert.Equal("the connection does not start with the authentication preamble", await Verify(pipe, _token));
    }

    [Fact]
    public async Task A_preamble_cut_short_by_the_peer_is_refused()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(AgentAuthPreamble.Build(_token).AsMemory(0, 20));
        await pipe.Writer.CompleteAsync();
        Assert.Equal($"the peer closed the connection after 20 of {AgentAuthPreamble.Length} preamble bytes", await Verify(pipe, _token));
    }

    [Fact]
    public async Task An_oversized_first_write_is_read_no_further_than_the_preamble()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var junk = new byte[1024 * 1024];
        AgentAuthPreamble.Build(_token).CopyTo(junk, 0);
        await pipe.Writer.WriteAsync(junk);
        Assert.Null(await Verify(pipe, _token));
        var rest = await pipe.Reader.ReadAsync();
        Assert.Equal(junk.Length - AgentAuthPreamble.Length, rest.Buffer.Length);

        // ...and a megabyte of the wrong thing is refused on its first byte, without being buffered whole.
        var refused = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await refused.Writer.WriteAsync(new byte[1024 * 1024]);
        Assert.NotNull(await Verify(refused, _token));
    }

    [Fact]
    public async Task A_slow_sender_hits_the_deadline()
    {
        // 39 of the 40 bytes, and then nothing: the reader gives up when its deadline fires.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(AgentAuthPreamble.Build(_token).AsMemory(0, AgentAuthPreamble.Length - 1));
        Assert.Equal("no authentication preamble before the deadline", await Verify(pipe, _token, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void A_token_of_the_wrong_length_cannot_build_a_preamble()
    {
        Assert.Throws<ArgumentException>(() => AgentAuthPreamble.Build(new byte[16]));
        Assert.Equal(AgentAuthPreamble.Length, AgentAuthPreamble.Build(_token).Length);
    }
}
