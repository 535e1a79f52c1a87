using SandboxRt.Agent.Containers;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Agent.UnitTests.Containers;

/// <summary>
/// A container's state once its init has ended: stopped, whichever verb set the state last. Start and
/// resume read the exit and then write the state; an exit between the two used to leave it running.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ContainerStatusTests
{
    private readonly TaskCompletionSource<WaitStatus> _exit = new();

    private Container NewContainer() =>
        new("c1", new Spec(), cgroup: null!, new ContainerProcess("", 42, null!, _exit.Task), initChannel: null!);

    [Fact]
    public void A_container_is_created_then_running_while_its_init_lives()
    {
        var c = NewContainer();
        Assert.Equal(ContainerStatus.Created, c.Status);

        c.Status = ContainerStatus.Running;

        Assert.Equal(ContainerStatus.Running, c.Status);
    }

    [Fact]
    public void A_start_that_writes_running_after_the_exit_still_leaves_it_stopped()
    {
        var c = NewContainer();
        _exit.SetResult(new WaitStatus(0));

        c.Status = ContainerStatus.Running;

        Assert.Equal(ContainerStatus.Stopped, c.Status);
    }

    [Theory]
    [InlineData("Created")]
    [InlineData("Running")]
    [InlineData("Paused")]
    public void The_exit_alone_makes_it_stopped_before_anything_records_it(string before)
    {
        var c = NewContainer();
        c.Status = Enum.Parse<ContainerStatus>(before);

        _exit.SetResult(new WaitStatus(9));

        Assert.Equal(ContainerStatus.Stopped, c.Status);
    }
}
