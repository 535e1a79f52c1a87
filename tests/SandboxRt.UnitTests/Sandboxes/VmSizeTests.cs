using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.UnitTests.Sandboxes;

[Trait("Tier", "unit")]
public sealed class VmSizeTests
{
    private static readonly HypervisorConfig Config = new() { DefaultVcpus = 1, DefaultMemoryMib = 512 };

    private static LinuxResources Limits(long? memory = null, long? quota = null, ulong? period = null) => new()
    {
        Memory = memory is null ? null : new LinuxMemory { Limit = memory },
        Cpu = quota is null && period is null ? null : new LinuxCpu { Quota = quota, Period = period },
    };

    [Fact]
    public void No_limits_give_the_default()
    {
        Assert.Equal(new VmSize(1, 512), VmSize.For(null, Config, hostCpus: 8, hostMemoryMib: 16384));
        Assert.Equal(new VmSize(1, 512), VmSize.For(Limits(quota: -1, period: 100_000), Config, 8, 16384));
    }

    [Fact]
    public void Docker_memory_1g_cpus_2_adds_a_gib_and_two_vcpus()
    {
        // docker run --memory 1g --cpus 2: limit 1073741824, quota 200000 per period 100000
        Assert.Equal(new VmSize(3, 1536), VmSize.For(Limits(1L << 30, 200_000, 100_000), Config, 8, 16384));
    }

    [Fact]
    public void A_fraction_of_a_cpu_rounds_up_and_memory_rounds_up_to_a_mib()
    {
        Assert.Equal(new VmSize(2, 514), VmSize.For(Limits((1L << 20) + 1, 50_000, 100_000), Config, 8, 16384));
        Assert.Equal(new VmSize(3, 512), VmSize.For(Limits(quota: 150_000), Config, 8, 16384)); // no period: the kernel's 100 ms
    }

    [Fact]
    public void A_container_with_no_quota_that_names_host_cpus_adds_as_many_vcpus_as_it_names()
    {
        // docker run --cpuset-cpus 0-1,4 (no --cpus): three vCPUs more, as Kata sizes a container constrained only by a cpuset
        Assert.Equal(new VmSize(4, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Cpus = "0-1,4" } }, Config, 8, 16384));
        // a quota says how much: --cpus 1 --cpuset-cpus 0-3 adds one
        Assert.Equal(new VmSize(2, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Quota = 100_000, Period = 100_000, Cpus = "0-3" } }, Config, 8, 16384));
        // an unlimited quota (-1) is no quota
        Assert.Equal(new VmSize(3, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Quota = -1, Cpus = "2,3" } }, Config, 8, 16384));
        // capped by the host, and nothing for an empty list or one that does not parse (refused where it is validated)
        Assert.Equal(new VmSize(2, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Cpus = "0-63" } }, Config, 2, 16384));
        Assert.Equal(new VmSize(1, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Cpus = "" } }, Config, 8, 16384));
        Assert.Equal(new VmSize(1, 512), VmSize.For(new LinuxResources { Cpu = new LinuxCpu { Cpus = "3-1" } }, Config, 8, 16384));
        // in a pod each container counts by its own rule
        Assert.Equal(new VmSize(5, 512), VmSize.ForPod([new LinuxResources { Cpu = new LinuxCpu { Cpus = "0-1" } }, Limits(quota: 200_000), null], Config, 8, 16384));
    }

    [Fact]
    public void The_maximums_cap_the_size_and_zero_means_the_host()
    {
        Assert.Equal(new VmSize(2, 2048), VmSize.For(Limits(64L << 30, 800_000, 100_000), Config, hostCpus: 2, hostMemoryMib: 2048));
        var capped = Config with { DefaultMaxvcpus = 4, DefaultMaxmemoryMib = 1024 };
        Assert.Equal(new VmSize(4, 1024), VmSize.For(Limits(64L << 30, 800_000, 100_000), capped, 8, 16384));
        // a maximum above what the host has counts as the host's
        Assert.Equal(new VmSize(2, 2048), VmSize.For(Limits(64L << 30, 800_000, 100_000), Config with { DefaultMaxvcpus = 64, DefaultMaxmemoryMib = 1 << 20 }, 2, 2048));
        // the default is never cut by a smaller maximum
        Assert.Equal(new VmSize(1, 512), VmSize.For(Limits(1L << 30, 200_000), Config with { DefaultMaxvcpus = 1, DefaultMaxmemoryMib = 256 }, 8, 16384));
    }

    [Fact]
    public void A_pods_vm_is_the_default_plus_every_containers_limits_capped_by_the_maximums()
    {
        Assert.Equal(new VmSize(1, 512), VmSize.ForPod([null, Limits()], Config, 8, 16384));
        Assert.Equal(new VmSize(4, 512 + 256 + 1024), VmSize.ForPod([null, Limits(256L << 20, 150_000, 100_000), Limits(1L << 30, 100_000, 100_000)], Config, 8, 16384));
        Assert.Equal(new VmSize(2, 2048), VmSize.ForPod([Limits(1L << 30, 100_000, 100_000), Limits(1L << 30, 100_000, 100_000)], Config, 2, 2048));
        Assert.Equal(new VmSize(8, 16384), VmSize.Max(Config, 8, 16384));
        Assert.Equal(new VmSize(4, 4096), VmSize.Max(Config with { DefaultMaxvcpus = 4, DefaultMaxmemoryMib = 4096 }, 8, 16384));
        Assert.True(new VmSize(2, 1024).Covers(new VmSize(2, 512)));
        Assert.False(new VmSize(2, 1024).Covers(new VmSize(3, 512)));
    }
}
