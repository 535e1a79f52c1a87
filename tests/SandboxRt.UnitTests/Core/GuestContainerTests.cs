using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.UnitTests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace SandboxRt.UnitTests.Core;

[Trait("Tier", "unit")]
public sealed class GuestContainerTests
{
    private static ContainerLaunch Launch(string id) => new(id, new Spec { Process = new Process { Args = ["true"] } }, "/bundle");

    [Fact]
    public async Task Create_places_the_files_before_the_agent_call_and_the_exit_comes_from_the_agent()
    {
        var sandbox = new FakeGuestSandbox();
        var container = await GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None);
        Assert.Equal(["attach c1"], sandbox.Files.Calls);
        Assert.Equal(["CreateContainer c1"], sandbox.Fake.Calls);
        Assert.True(container.GuestPid > 0);

        var exit = container.WaitAsync("", NullLogger.Instance, CancellationToken.None);
        sandbox.Fake.Exit("c1", "", 3);
        Assert.Equal(3, (await exit).Status);
        Assert.False((await exit).VmWentAway);
    }

    [Fact]
    public async Task A_vm_that_dies_during_create_fails_it_at_once_naming_the_vm_and_removes_the_files()
    {
        var sandbox = new FakeGuestSandbox();
        sandbox.Fake.HoldCreate = new TaskCompletionSource();
        var create = GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None);
        sandbox.Vm.Die("qemu killed by signal 9");
        var e = await Assert.ThrowsAsync<HypervisorException>(() => create);
        Assert.Equal("the VM stopped during create: qemu killed by signal 9", e.Message);
        Assert.Equal(["attach c1", "detach c1"], sandbox.Files.Calls);
    }

    [Fact]
    public async Task A_failed_agent_create_removes_the_files_it_placed()
    {
        var sandbox = new FakeGuestSandbox();
        sandbox.Fake.Failures["CreateContainer"] = new AgentException(AgentErrorKind.InvalidArgument, "CreateContainer", "bad spec");
        await Assert.ThrowsAsync<AgentException>(() => GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None));
        Assert.Equal(["attach c1", "detach c1"], sandbox.Files.Calls);
    }

    [Fact]
    public async Task The_vm_dying_under_a_process_is_one_status_137_for_every_client()
    {
        var sandbox = new FakeGuestSandbox();
        var container = await GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None);
        var exit = container.WaitAsync("e1", NullLogger.Instance, CancellationToken.None);
        sandbox.Vm.Die("qemu exited with status 1");
        Assert.Equal(ProcessExit.VmDiedStatus, (await exit).Status);
        Assert.Equal(137, ProcessExit.VmDiedStatus);
        Assert.True((await exit).VmWentAway);
    }

    [Fact]
    public async Task Remove_skips_the_guest_once_the_vm_is_gone_but_always_removes_the_files()
    {
        var sandbox = new FakeGuestSandbox();
        var container = await GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None);
        await container.RemoveAsync(NullLogger.Instance);
        Assert.Contains("RemoveContainer c1 force", sandbox.Fake.Calls);

        var second = await GuestContainer.CreateAsync(sandbox, Launch("c2"), CancellationToken.None);
        sandbox.Vm.Die("gone");
        await second.RemoveAsync(NullLogger.Instance);
        Assert.DoesNotContain("RemoveContainer c2 force", sandbox.Fake.Calls);
        Assert.Equal(["attach c1", "detach c1", "attach c2", "detach c2"], sandbox.Files.Calls);
    }

    [Fact]
    public async Task A_guest_that_cannot_answer_a_remove_does_not_fail_it()
    {
        var sandbox = new FakeGuestSandbox();
        var container = await GuestContainer.CreateAsync(sandbox, Launch("c1"), CancellationToken.None);
        sandbox.Fake.Failures["RemoveContainer"] = new IOException("channel closed");
        await container.RemoveAsync(NullLogger.Instance);
        Assert.Equal("detach c1", sandbox.Files.Calls[^1]);
    }

    [Theory]
    [InlineData(AgentErrorKind.NotFound, "exec: \"nope\": executable file not found in $PATH", true, 127)]
    [InlineData(AgentErrorKind.PermissionDenied, "exec: \"/etc/passwd\": permission denied", true, 126)]
    [InlineData(AgentErrorKind.Internal, "exec: \"/\": is a directory", true, 126)]
    [InlineData(AgentErrorKind.Internal, "mount: /proc: no such device", false, null)]
    [InlineData(AgentErrorKind.NotFound, "exec: a message that looks like one, without the agent's reason", false, null)] // the text decides nothing
    public void Exec_failures_get_the_shells_status(AgentErrorKind kind, string message, bool execFailed, int? status) =>
        Assert.Equal(status, ExecFailure.StatusOf(new AgentException(kind, "StartContainer", message, reason: execFailed ? SandboxRt.Agent.Protocol.AgentErrorReason.ExecFailed : null)));
}
