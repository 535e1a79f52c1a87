using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.HostCgroups;

namespace SandboxRt.UnitTests.HostCgroups;

/// <summary>The host CPUs a VM runs on: its containers' lists together, or anywhere once one names none.</summary>
[Trait("Tier", "unit")]
public sealed class HostCpusetTests
{
    private static LinuxResources Cpus(string? cpus, string? mems = null) => new() { Cpu = new LinuxCpu { Cpus = cpus, Mems = mems } };

    [Fact]
    public void One_container_s_lists_pin_its_vm() =>
        Assert.Equal(new HostCpuset("1", "0"), HostCpuset.ForPod([Cpus("1", "0")]));

    [Fact]
    public void A_shared_vm_runs_on_the_union_of_its_containers_lists() =>
        Assert.Equal(new HostCpuset("0-2,5", null), HostCpuset.ForPod([Cpus("5,0"), Cpus("1-2", "0"), Cpus("2")]));

    [Fact]
    public void A_container_that_names_no_list_unpins_the_vm_since_its_vcpus_are_shared()
    {
        Assert.False(HostCpuset.ForPod([Cpus("1"), null]).IsPinned);
        Assert.False(HostCpuset.ForPod([Cpus("1"), Cpus("")]).IsPinned);
        Assert.False(HostCpuset.ForPod([]).IsPinned);
    }

    [Fact]
    public void A_list_that_is_not_one_is_named() =>
        Assert.Equal("linux.resources.cpu.cpus: \"x\" is not a list of numbers and ranges such as 0-3,8 (each at most 8191)",
            Assert.Throws<ArgumentException>(() => HostCpuset.ForPod([Cpus("x")])).Message);

    [Fact]
    public void Without_a_host_cgroup_a_pinned_vm_fails_and_an_unpinned_one_is_left_alone()
    {
        HostCpuset.Unpinned.ApplyTo(null);
        var e = Assert.Throws<InvalidOperationException>(() => new HostCpuset(null, "0").ApplyTo(null));
        Assert.StartsWith("linux.resources.cpu.mems: ", e.Message);
        Assert.Contains("no linux.cgroupsPath", e.Message);
    }
}
