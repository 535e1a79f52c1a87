using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>The real agent binary, on a host Unix socket, called through the runtime's own client.</summary>
[Trait("Tier", "host")]
public sealed class AgentOverUnixSocketTests(AgentOnHost agent) : IClassFixture<AgentOnHost>
{
    private RawGrpcChannel RawChannel(int maxSend = 64 * 1024 * 1024) =>
        new(ct => agent.Connector.ConnectAsync(ct), maxSendMessageSize: maxSend);

    [Fact]
    public async Task Health_version_and_guest_details_answer()
    {
        agent.RequireRunning();
        using var client = new AgentClient(agent.Connector);
        Assert.True(await client.CheckAsync());
        var version = await client.VersionAsync();
        Assert.Equal("sandboxrt.agent.v1", version.ApiVersion);
        Assert.False(string.IsNullOrEmpty(version.AgentVersion));
        var details = await client.GuestDetailsAsync();
        Assert.Equal("unix", details.Transport);
        Assert.Equal(TestEnvironment.HostKernelRelease, details.KernelRelease); // on the host, the host's kernel
        Assert.True(details.MemoryTotalBytes > 0);
        Assert.True(details.AgentRssBytes > 0);
    }

    [Fact]
    public async Task An_oversized_request_is_resource_exhausted_and_the_server_keeps_serving()
    {
        agent.RequireRunning();
        using var channel = RawChannel();
        var huge = new HealthCheckRequest { Service = new string('x', 17 * 1024 * 1024) };
        var e = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(AgentMethods.HealthCheck, huge));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("larger than max", e.Status.Detail);
        var ok = await channel.UnaryAsync(AgentMethods.HealthCheck, new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, ok.Status);
    }

    [Fact]
    public async Task Unknown_service_and_unknown_method_get_their_status_codes()
    {
        agent.RequireRunning();
        using var channel = RawChannel();
        var notFound = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(AgentMethods.HealthCheck, new HealthCheckRequest { Service = "nope" }));
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        var bogus = new Method<HealthCheckRequest, HealthCheckResponse>(MethodType.Unary, "sandboxrt.agent.v1.Health", "Bogus", HealthCheckRequest.Parser, HealthCheckResponse.Parser);
        var unimplemented = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(bogus, new HealthCheckRequest()));
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
    }

    [Fact]
    public async Task A_server_stream_delivers_messages_then_ends_at_its_deadline()
    {
        agent.RequireRunning();
        using var channel = RawChannel();
        var received = new List<HealthCheckResponse>();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var message in channel.ServerStreamingAsync(AgentMethods.HealthWatch, new HealthCheckRequest(), new RawCallOptions(TimeSpan.FromMilliseconds(400))))
                received.Add(message);
        });
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Single(received);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, received[0].Status);
    }

    [Fact]
    public async Task Many_concurrent_calls_share_one_connection()
    {
        agent.RequireRunning();
        using var channel = RawChannel();
        var calls = Enumerable.Range(0, 200).Select(_ => channel.UnaryAsync(AgentMethods.Version, new VersionRequest()));
        var results = await Task.WhenAll(calls);
        Assert.All(results, r => Assert.Equal("sandboxrt.agent.v1", r.ApiVersion));
    }
}
