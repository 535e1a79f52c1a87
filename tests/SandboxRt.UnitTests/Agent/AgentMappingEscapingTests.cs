using SandboxRt.Agent.Protocol;
using Grpc.Core;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.UnitTests.Agent;

/// <summary>What the guest says (error messages, process names, versions) is escaped where it enters the host.</summary>
[Trait("Tier", "unit")]
public sealed class AgentMappingEscapingTests
{
    [Fact]
    public void An_agent_error_message_is_escaped_and_bounded()
    {
        var e = AgentMapping.ToException("ExecProcess", new RpcException(new Status(StatusCode.Internal, "\u001b[2J\u001b]0;owned\u0007exec failed\nlevel=info msg=forged" + new string('z', 100_000))));
        Assert.StartsWith("\\x1b[2J\\x1b]0;owned\\x07exec failed\\x0alevel=info msg=forged", e.Message);
        Assert.True(e.Message.Length < 5000);
        Assert.Equal(AgentErrorKind.Internal, e.Kind);
    }

    [Fact]
    public void A_mount_error_naming_two_long_paths_reaches_the_host_whole()
    {
        var message = $"mounts[3]: mount(\"/var/lib/containers/{new string('a', 200)}/merge\", \"/run/sandboxrt/shared/{new string('b', 200)}/rootfs/o\"): ENOENT";
        var e = AgentMapping.ToException("CreateContainer", new RpcException(new Status(StatusCode.InvalidArgument, message)));
        Assert.Equal(message, e.Message[^message.Length..]); // before, a cut at 256 characters hid the errno
    }

    [Fact]
    public void A_guest_process_name_and_guest_details_are_escaped()
    {
        Assert.Equal("\\x1b]0;x\\x07sh", AgentMapping.ToDomain(new ProcessInfo { Pid = 1, Command = "\u001b]0;x\u0007sh" }).Command);
        var details = AgentMapping.ToDomain(new GuestDetailsResponse { KernelRelease = "6.1\u001b[31m", AgentVersion = "v\r1" });
        Assert.Equal("6.1\\x1b[31m", details.KernelRelease);
        Assert.Equal("v\\x0d1", details.AgentVersion);
    }
}
