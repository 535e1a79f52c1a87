using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.State;

/// <summary>runc update sends only what changes: the VM is sized by the update's limits, then the last update's, then the bundle's.</summary>
[Trait("Tier", "unit")]
public sealed class SizingLimitsTests
{
    private static readonly LinuxResources Bundle = new()
    {
        Memory = new LinuxMemory { Limit = 256L << 20 },
        Cpu = new LinuxCpu { Quota = 50_000, Period = 100_000 },
    };

    [Fact]
    public void The_first_update_starts_from_the_bundle()
    {
        var merged = SizingLimits.Merge(new LinuxResources { Memory = new LinuxMemory { Limit = 1L << 30 } }, null, Bundle);
        Assert.Equal(new SizingLimits(1L << 30, 50_000, 100_000UL), merged);
        Assert.Equal(new SizingLimits(256L << 20, 50_000, 100_000UL), SizingLimits.Merge(new LinuxResources { Pids = new LinuxPids { Limit = 5 } }, null, Bundle));
        Assert.Equal(new SizingLimits(null, null, null), SizingLimits.Merge(new LinuxResources(), null, null)); // the bundle is gone
    }

    [Fact]
    public void A_later_update_starts_from_the_last_not_from_the_bundle()
    {
        var last = new SizingLimits(1L << 30, null, null);
        // only the CPU changes: the memory limit is still the last update's 1 GiB, not the bundle's 256 MiB
        Assert.Equal(new SizingLimits(1L << 30, 200_000, null), SizingLimits.Merge(new LinuxResources { Cpu = new LinuxCpu { Quota = 200_000 } }, last, Bundle));
        // a memory section with only a reservation changes no limit
        Assert.Equal(last, SizingLimits.Merge(new LinuxResources { Memory = new LinuxMemory { Reservation = 1 } }, last, Bundle));
        // -1 removes it
        Assert.Equal(new SizingLimits(-1, null, null), SizingLimits.Merge(new LinuxResources { Memory = new LinuxMemory { Limit = -1 } }, last, Bundle));
    }

    [Fact]
    public void The_host_cpus_and_memory_nodes_are_kept_as_the_limits_are()
    {
        var bundle = new LinuxResources { Cpu = new LinuxCpu { Cpus = "1", Mems = "0" } };
        var first = SizingLimits.Merge(new LinuxResources { Memory = new LinuxMemory { Limit = 1L << 30 } }, null, bundle);
        Assert.Equal(("1", "0"), (first.Cpus, first.Mems));
        // docker update --cpuset-cpus 0: the nodes stay the bundle's; an empty list changes nothing (runc's "unset")
        var second = SizingLimits.Merge(new LinuxResources { Cpu = new LinuxCpu { Cpus = "0", Mems = "" } }, first, bundle);
        Assert.Equal(("0", "0"), (second.Cpus, second.Mems));
        Assert.Equal(("0", "0"), (second.AsResources().Cpu!.Cpus, second.AsResources().Cpu!.Mems));
    }

    [Fact]
    public void As_resources_the_limits_size_the_vm()
    {
        var config = new SandboxRt.Runtime.Configuration.HypervisorConfig { DefaultVcpus = 1, DefaultMemoryMib = 512, DefaultMaxvcpus = 4, DefaultMaxmemoryMib = 8192 };
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(3, 1536), SandboxRt.Runtime.Sandboxes.VmSize.For(new SizingLimits(1L << 30, 150_000, null).AsResources(), config, 8, 16384));
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512), SandboxRt.Runtime.Sandboxes.VmSize.For(new SizingLimits(-1, -1, null).AsResources(), config, 8, 16384));
    }
}
