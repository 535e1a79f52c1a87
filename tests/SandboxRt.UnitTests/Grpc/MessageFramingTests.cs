using System.Buffers.Binary;
using System.IO.Pipelines;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Framing;

namespace SandboxRt.UnitTests.Grpc;

[Trait("Tier", "unit")]
public sealed class MessageFramingTests
{
    [Fact]
    public async Task A_message_round_trips_through_its_frame()
    {
        var message = new HealthCheckRequest { Service = "sandboxrt.agent.v1.Health" };
        var frame = MessageFraming.Encode(message, 1024);
        Assert.Equal(0, frame[0]);
        Assert.Equal((uint)message.CalculateSize(), BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1)));

        var reader = PipeReader.Create(new MemoryStream(frame.Concat(frame).ToArray()));
        var first = await MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024);
        var second = await MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024);
        var end = await MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024);
        Assert.Equal(message, first);
        Assert.Equal(message, second);
        Assert.Null(end);
    }

    [Fact]
    public async Task An_oversized_length_is_rejected_before_the_payload_is_read()
    {
        // Only the 5-byte header exists: the reader must refuse on the declared length alone.
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), 100_000_000);
        var reader = PipeReader.Create(new MemoryStream(header));
        var e = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 4096).AsTask());
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
        Assert.Contains("100000000 vs. 4096", e.Detail);
    }

    [Fact]
    public void Sending_an_oversized_message_fails_with_resource_exhausted()
    {
        var e = Assert.Throws<RpcException>(() => MessageFraming.Encode(new HealthCheckRequest { Service = new string('x', 5000) }, 4096));
        Assert.Equal(StatusCode.ResourceExhausted, e.Status);
    }

    [Fact]
    public async Task A_stream_that_ends_inside_a_frame_is_an_internal_error()
    {
        var frame = MessageFraming.Encode(new HealthCheckRequest { Service = "abc" }, 1024);
        var reader = PipeReader.Create(new MemoryStream(frame[..^1]));
        var e = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024).AsTask());
        Assert.Equal(StatusCode.Internal, e.Status);
    }

    [Fact]
    public async Task A_compressed_frame_without_negotiated_encoding_is_refused()
    {
        var frame = MessageFraming.Encode(new HealthCheckRequest { Service = "abc" }, 1024);
        frame[0] = 1;
        var reader = PipeReader.Create(new MemoryStream(frame));
        var e = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024).AsTask());
        Assert.Equal(StatusCode.Internal, e.Status);
        Assert.Contains("compressed", e.Detail);
    }

    [Fact]
    public async Task Garbage_payload_is_an_internal_error_not_a_crash()
    {
        var frame = new byte[] { 0, 0, 0, 0, 3, 0xff, 0xff, 0xff };
        var reader = PipeReader.Create(new MemoryStream(frame));
        var e = await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(reader, HealthCheckRequest.Parser, 1024).AsTask());
        Assert.Equal(StatusCode.Internal, e.Status);
    }
}
