using Grpc.Core;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.UnitTests.Agent;

/// <summary>A failed call is read by its status code and the exception Grpc.Net.Client attaches, never by its text.</summary>
[Trait("Tier", "unit")]
public sealed class AgentCallFailureTests
{
    private static RpcException Failed(StatusCode code, Exception? debug) => new(new Status(code, "whatever the text says", debug));

    [Fact]
    public void A_call_whose_connection_could_not_be_set_up_was_not_sent()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused", new IOException("inner"));
        Assert.True(AgentCallFailure.NotSent(Failed(StatusCode.Unavailable, refused)));
    }

    [Fact]
    public void A_call_that_lost_its_connection_mid_way_may_have_run()
    {
        Assert.False(AgentCallFailure.NotSent(Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ResponseEnded, "connection could not be established"))));
        Assert.False(AgentCallFailure.NotSent(Failed(StatusCode.Unavailable, null)));
        Assert.False(AgentCallFailure.NotSent(Failed(StatusCode.Internal, new HttpRequestException(HttpRequestError.ConnectionError, "refused"))));
    }

    [Fact]
    public void A_relay_that_is_gone_is_found_under_the_transport_error()
    {
        var gone = new RelayGoneException("c1", 4242, "/run/sandboxrt/c1/agent.sock");
        Assert.Same(gone, AgentCallFailure.PeerGone(Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ConnectionError, "x", gone))));
        Assert.Null(AgentCallFailure.PeerGone(Failed(StatusCode.Unavailable, new HttpRequestException("x"))));
    }

    [Fact]
    public void A_gone_vm_surfaces_as_unavailable_and_a_gone_relay_as_itself()
    {
        var vm = new VmGoneException("pod1", "killed by signal 9");
        var surfaced = Assert.IsType<AgentException>(AgentCallFailure.Surface("ExecProcess", Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ConnectionError, "x", vm))));
        Assert.Equal(AgentErrorKind.Unavailable, surfaced.Kind);
        Assert.Contains("sandbox pod1: its VM is gone (killed by signal 9)", surfaced.Message);

        var relay = new RelayGoneException("c1", 4242, "/run/sandboxrt/c1/agent.sock");
        Assert.Same(relay, AgentCallFailure.Surface("ExecProcess", Failed(StatusCode.Unavailable, new HttpRequestException(HttpRequestError.ConnectionError, "x", relay))));
        Assert.Equal(AgentErrorKind.NotFound, Assert.IsType<AgentException>(AgentCallFailure.Surface("ExecProcess", Failed(StatusCode.NotFound, null))).Kind);
    }
}
