using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Core;

[Trait("Tier", "unit")]
public sealed class ProcessStateTests
{
    private const string What = "container c1";

    [Fact]
    public void A_container_goes_created_running_paused_running_stopped()
    {
        ProcessState state = CreatedState.Instance;
        state = state.Start(What);
        Assert.Equal(ContainerStatus.Running, state.Status);
        state = state.Pause(What);
        Assert.Equal(ContainerStatus.Paused, state.Status);
        state = state.Resume(What);
        Assert.Equal(ContainerStatus.Running, state.Status);
        Assert.Equal(ContainerStatus.Stopped, state.Exited().Status);
    }

    [Theory]
    [InlineData(ContainerStatus.Running, "start", "cannot start container c1: it is running")]
    [InlineData(ContainerStatus.Stopped, "start", "cannot start container c1: it is stopped")]
    [InlineData(ContainerStatus.Created, "pause", "cannot pause container c1: it is created")]
    [InlineData(ContainerStatus.Paused, "pause", "cannot pause container c1: it is paused")]
    [InlineData(ContainerStatus.Running, "resume", "cannot resume container c1: it is running")]
    [InlineData(ContainerStatus.Paused, "exec", "cannot exec in container c1: it is paused")]
    [InlineData(ContainerStatus.Created, "exec", "cannot exec in container c1: it is created")]
    [InlineData(ContainerStatus.Stopped, "exec", "cannot exec in container c1: it is stopped")]
    [InlineData(ContainerStatus.Creating, "kill", "cannot kill container c1: it is creating")]
    [InlineData(ContainerStatus.Stopped, "update", "cannot update container c1: it is stopped")]
    [InlineData(ContainerStatus.Running, "delete", "cannot delete container c1 that is not stopped: it is running (kill it first, or use --force)")]
    [InlineData(ContainerStatus.Paused, "delete", "cannot delete container c1 that is not stopped: it is paused (kill it first, or use --force)")]
    public void Each_state_refuses_the_verbs_it_does_not_allow_naming_verb_process_and_state(ContainerStatus status, string verb, string message)
    {
        var state = ProcessState.Of(status);
        Action act = verb switch
        {
            "start" => () => state.Start(What),
            "pause" => () => state.Pause(What),
            "resume" => () => state.Resume(What),
            "exec" => () => state.Exec(What),
            "kill" => () => state.Kill(What),
            "update" => () => state.Inspect("update", What),
            _ => () => state.Delete(What, force: false),
        };
        Assert.Equal(message, Assert.ThrowsAny<InvalidOperationException>(act).Message);
    }

    [Fact]
    public void A_signal_to_an_ended_process_is_refused_as_containerd_refuses_it()
    {
        var e = Assert.Throws<ProcessFinishedException>(() => StoppedState.Instance.Kill(What));
        Assert.Equal("cannot kill container c1: it is not running (process already finished)", e.Message);
    }

    [Theory]
    [InlineData(ContainerStatus.Creating)]
    [InlineData(ContainerStatus.Created)]
    [InlineData(ContainerStatus.Stopped)]
    public void Created_creating_and_stopped_containers_are_deleted_without_force(ContainerStatus status) =>
        ProcessState.Of(status).Delete(What, force: false);

    [Theory]
    [InlineData(ContainerStatus.Running)]
    [InlineData(ContainerStatus.Paused)]
    public void Force_deletes_a_live_container(ContainerStatus status) => ProcessState.Of(status).Delete(What, force: true);

    [Theory]
    [InlineData(ContainerStatus.Created)]
    [InlineData(ContainerStatus.Running)]
    [InlineData(ContainerStatus.Paused)]
    public void A_live_container_takes_signals_and_can_be_inspected(ContainerStatus status)
    {
        ProcessState.Of(status).Kill(What);
        ProcessState.Of(status).Inspect("update", What);
    }
}
