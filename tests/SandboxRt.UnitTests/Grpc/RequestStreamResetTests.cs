using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Framing;
using SandboxRt.Grpc.Server;

namespace SandboxRt.UnitTests.Grpc;

/// <summary>
/// The order Kestrel ends a reset stream in, made by hand: the request body pipe fails with an
/// IOException first, and RequestAborted is cancelled afterwards, from the thread pool. A handler's read
/// must see a cancellation in that gap too (it once saw the bare IOException in CI, under load).
/// </summary>
[Trait("Tier", "unit")]
public sealed class RequestStreamResetTests
{
    private static readonly Method<TestDataChunk, SinkTestDataResponse> Held =
        new(MethodType.ClientStreaming, "test.Streams", "Held", TestDataChunk.Parser, SinkTestDataResponse.Parser);

    [Fact]
    public async Task A_body_that_fails_before_RequestAborted_fires_is_a_cancellation_to_the_handler()
    {
        var seen = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = new GrpcServiceTable().AddClientStreaming(Held, async (reader, call) =>
        {
            try
            {
                while (await reader.ReadAsync(call.CancellationToken) is not null) { }
                seen.TrySetResult(new InvalidOperationException("the stream ended normally"));
            }
            catch (Exception e)
            {
                seen.TrySetResult(e);
                throw;
            }
            return new SinkTestDataResponse();
        });
        var body = new Pipe();
        using var aborted = new CancellationTokenSource(); // never cancelled: the gap, held open
        var http = Context(body.Reader, aborted.Token);

        var call = new GrpcHttpApplication(table).ProcessRequestAsync(http);
        await body.Writer.CompleteAsync(new IOException("The client reset the request stream."));

        var e = await seen.Task.WaitAsync(TestContext.Current.CancellationToken);
        var cancelled = Assert.IsAssignableFrom<OperationCanceledException>(e);
        Assert.IsType<IOException>(cancelled.InnerException);
        await call.WaitAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_malformed_request_body_is_not_taken_for_a_reset()
    {
        var seen = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = new GrpcServiceTable().AddClientStreaming(Held, async (reader, call) =>
        {
            try
            {
                await reader.ReadAsync(call.CancellationToken);
            }
            catch (Exception e)
            {
                seen.TrySetResult(e);
                throw;
            }
            return new SinkTestDataResponse();
        });
        var body = new Pipe();
        using var aborted = new CancellationTokenSource();
        var http = Context(body.Reader, aborted.Token);

        var call = new GrpcHttpApplication(table).ProcessRequestAsync(http);
        await body.Writer.CompleteAsync(new BadHttpRequestException("Request body too large."));

        Assert.IsType<BadHttpRequestException>(await seen.Task.WaitAsync(TestContext.Current.CancellationToken));
        await call.WaitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(((int)StatusCode.Unknown).ToString(), http.Response.Headers[GrpcHeaders.Status].ToString());
    }

    private static DefaultHttpContext Context(PipeReader body, CancellationToken aborted)
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Method = "POST",
            Protocol = "HTTP/2",
            Path = Held.FullName,
            Headers = new HeaderDictionary { ["content-type"] = "application/grpc" },
        });
        features.Set<IRequestBodyPipeFeature>(new BodyPipe(body));
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null));
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = aborted });
        return new DefaultHttpContext(features);
    }

    private sealed class BodyPipe(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }
}
