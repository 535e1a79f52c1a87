using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.UnitTests.Agent;

[Trait("Tier", "unit")]
public sealed class AgentErrorReasonTests
{
    [Fact]
    public void A_reason_round_trips_and_anything_else_is_no_reason()
    {
        Assert.Equal(AgentErrorReason.ExecFailed, AgentErrorReason.FromStatusDetails(AgentErrorReason.StatusDetails(5, "exec: \"nope\": not found", AgentErrorReason.ExecFailed)));
        Assert.Equal(AgentErrorReason.ProcessExited, AgentErrorReason.FromStatusDetails(AgentErrorReason.StatusDetails(9, "gone", AgentErrorReason.ProcessExited)));
        Assert.Null(AgentErrorReason.FromStatusDetails(null));
        Assert.Null(AgentErrorReason.FromStatusDetails([0xff, 0xff, 0xff])); // the guest's bytes: garbage is no reason
        Assert.Null(AgentErrorReason.FromStatusDetails(AgentErrorReason.StatusDetails(5, "x", "SOMETHING_NEW"))); // only reasons this host knows
        var other = new Status { Code = 5 };
        other.Details.Add(Any.Pack(new ErrorInfo { Domain = "example.com", Reason = AgentErrorReason.ExecFailed }));
        Assert.Null(AgentErrorReason.FromStatusDetails(other.ToByteArray())); // another domain's
    }
}
