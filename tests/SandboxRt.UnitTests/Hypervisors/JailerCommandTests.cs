using SandboxRt.Runtime.Hypervisors.Jail;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class JailerCommandTests
{
    [Fact]
    public void A_spec_with_a_pid_namespace_asks_the_jailer_to_check_it_and_one_without_does_not()
    {
        var with = JailerCommand.Build("/j", new JailSpec { NewPidNamespace = true, KeepDescriptors = [3] }, ["/usr/bin/qemu", "-S"]);
        Assert.Equal(["/j", "--pid-ns", "--keep-fd", "3", "--", "/usr/bin/qemu", "-S"], with);
        var without = JailerCommand.Build("/j", new JailSpec(), ["/usr/bin/virtiofsd"]);
        Assert.Equal(["/j", "--", "/usr/bin/virtiofsd"], without);
    }
}
