using SandboxRt.Cgroups.Resources;
using SandboxRt.Oci.Spec;

namespace SandboxRt.UnitTests.Cgroups;

[Trait("Tier", "unit")]
public sealed class CgroupResourceMapperTests
{
    [Theory]
    [InlineData(0ul, 0ul)]          // unset stays unset
    [InlineData(2ul, 1ul)]
    [InlineData(1024ul, 39ul)]      // the v1 default
    [InlineData(512ul, 20ul)]
    [InlineData(262144ul, 10000ul)]
    [InlineData(1ul, 1ul)]          // below the v1 minimum: clamped to 2
    [InlineData(1_000_000ul, 10000ul)]
    public void Cpu_shares_become_weights_with_runcs_formula(ulong shares, ulong weight) =>
        Assert.Equal(weight, CgroupResourceMapper.ConvertCpuSharesToWeight(shares));

    [Theory]
    [InlineData(0ul, 0ul)]
    [InlineData(10ul, 1ul)]
    [InlineData(500ul, 4950ul)]
    [InlineData(1000ul, 10000ul)]
    public void Blkio_weights_become_io_weights_with_runcs_formula(ulong blkio, ulong io) =>
        Assert.Equal(io, CgroupResourceMapper.ConvertBlkioWeightToIoWeight(blkio));

    public static TheoryData<string, LinuxMemory, string[]> MemoryCases => new()
    {
        { "limit only", new() { Limit = 64 << 20 }, ["memory.max=67108864"] },
        { "unlimited, swap unset: swap unlimited too", new() { Limit = -1 }, ["memory.swap.max=max", "memory.max=max"] },
        { "limit 0 is unset", new() { Limit = 0 }, [] },
        { "nothing set", new(), [] },
        { "swap is memory+swap minus memory", new() { Limit = 100, Swap = 300 }, ["memory.swap.max=200", "memory.max=100"] },
        { "swap equal to limit: no swap", new() { Limit = 100, Swap = 100 }, ["memory.swap.max=0", "memory.max=100"] },
        { "swap -1: unlimited", new() { Limit = 100, Swap = -1 }, ["memory.swap.max=max", "memory.max=100"] },
        { "swap 0 is unset", new() { Limit = 100, Swap = 0 }, ["memory.max=100"] },
        { "reservation is memory.low", new() { Limit = 200, Reservation = 100 }, ["memory.max=200", "memory.low=100"] },
        { "reservation -1", new() { Reservation = -1 }, ["memory.low=max"] },
    };

    [Theory]
    [MemberData(nameof(MemoryCases))]
    public void Memory_maps_like_runc(string why, LinuxMemory memory, string[] writes)
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources { Memory = memory });
        Assert.True(writes.SequenceEqual(plan.Writes.Select(w => w.ToString())), $"{why}: got [{string.Join(", ", plan.Writes)}]");
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void Swap_max_and_no_swap_tolerate_a_kernel_without_swap_accounting()
    {
        var writes = CgroupResourceMapper.Map(new LinuxResources { Memory = new() { Limit = 100, Swap = 100 } }, swapConfigured: true).Writes;
        Assert.True(writes.Single(w => w.File == "memory.swap.max").IgnoreIfMissing);
        writes = CgroupResourceMapper.Map(new LinuxResources { Memory = new() { Limit = 100, Swap = 150 } }, swapConfigured: true).Writes;
        Assert.False(writes.Single(w => w.File == "memory.swap.max").IgnoreIfMissing);
    }

    [Fact]
    public void Any_swap_limit_is_tolerated_where_there_is_no_swap_at_all()
    {
        // our guest kernel has no CONFIG_SWAP, hence no memory.swap.max; Docker's --memory 1g sets memory+swap = 2g
        var writes = CgroupResourceMapper.Map(new LinuxResources { Memory = new() { Limit = 1L << 30, Swap = 2L << 30 } }, swapConfigured: false).Writes;
        var swap = writes.Single(w => w.File == "memory.swap.max");
        Assert.Equal("1073741824", swap.Value);
        Assert.True(swap.IgnoreIfMissing);
    }

    public static TheoryData<string, LinuxCpu, string[]> CpuCases => new()
    {
        { "shares", new() { Shares = 1024 }, ["cpu.weight=39"] },
        { "shares 0 unset", new() { Shares = 0 }, [] },
        { "quota only: default period", new() { Quota = 50000 }, ["cpu.max=50000 100000"] },
        { "quota and period", new() { Quota = 20000, Period = 50000 }, ["cpu.max=20000 50000"] },
        { "quota -1", new() { Quota = -1, Period = 100000 }, ["cpu.max=max 100000"] },
        { "period only", new() { Period = 250000 }, ["cpu.max=max 250000"] },
        { "burst around cpu.max", new() { Quota = 50000, Burst = 10000 }, ["cpu.max.burst=0", "cpu.max=50000 100000", "cpu.max.burst=10000"] },
        { "burst alone", new() { Burst = 1000 }, ["cpu.max.burst=1000"] },
        { "cpuset: as many guest CPUs as host ones, from 0; no mems (one node)", new() { Cpus = "0-1", Mems = "0" }, ["cpuset.cpus=0-1"] },
        { "cpuset: host CPUs the guest does not have", new() { Cpus = "40,42-43", Mems = "1" }, ["cpuset.cpus=0-2"] },
        { "cpuset: at most the guest's possible CPUs", new() { Cpus = "0-63" }, ["cpuset.cpus=0-7"] },
        { "empty cpuset strings", new() { Cpus = "", Mems = "" }, [] },
        { "idle", new() { Idle = 0, Shares = 2 }, ["cpu.idle=0", "cpu.weight=1"] },
    };

    [Theory]
    [MemberData(nameof(CpuCases))]
    public void Cpu_maps_like_runc(string why, LinuxCpu cpu, string[] writes)
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources { Cpu = cpu }, possibleCpus: 8);
        Assert.True(writes.SequenceEqual(plan.Writes.Select(w => w.ToString())), $"{why}: got [{string.Join(", ", plan.Writes)}]");
    }

    [Theory]
    [InlineData(100L, "100")]
    [InlineData(0L, "max")]
    [InlineData(-1L, "max")]
    public void Pids_limit_at_or_below_zero_is_max(long limit, string value)
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources { Pids = new() { Limit = limit } });
        Assert.Equal([new CgroupWrite("pids.max", value)], plan.Writes);
    }

    [Fact]
    public void Block_io_becomes_io_weight_and_io_max_lines()
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources
        {
            BlockIO = new()
            {
                Weight = 1000,
                WeightDevice = [new() { Major = 8, Minor = 0, Weight = 10 }, new() { Major = 8, Minor = 16 }],
                ThrottleReadBpsDevice = [new() { Major = 8, Minor = 0, Rate = 1048576 }],
                ThrottleWriteBpsDevice = [new() { Major = 8, Minor = 0, Rate = 0 }],
                ThrottleReadIOPSDevice = [new() { Major = 253, Minor = 1, Rate = 100 }],
                ThrottleWriteIOPSDevice = [new() { Major = 253, Minor = 1, Rate = 50 }],
            },
        });
        Assert.Equal(
            ["io.weight=10000", "io.weight=8:0 1", "io.max=8:0 rbps=1048576", "io.max=8:0 wbps=max", "io.max=253:1 riops=100", "io.max=253:1 wiops=50"],
            plan.Writes.Select(w => w.ToString()));
    }

    [Fact]
    public void Writes_follow_runcs_controller_order_with_unified_last()
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources
        {
            Unified = new() { ["memory.high"] = "50M", ["pids.max"] = "7" },
            Cpu = new() { Shares = 2, Cpus = "0" },
            BlockIO = new() { Weight = 10 },
            Memory = new() { Limit = 100 },
            Pids = new() { Limit = 5 },
        });
        Assert.Equal(
            ["pids.max=5", "memory.max=100", "io.weight=1", "cpu.weight=1", "cpuset.cpus=0", "memory.high=50M", "pids.max=7"],
            plan.Writes.Select(w => w.ToString()));
    }

    [Fact]
    public void Fields_cgroup_v2_cannot_express_are_ignored_with_a_warning_each()
    {
        var plan = CgroupResourceMapper.Map(new LinuxResources
        {
            Memory = new() { Limit = 100, Kernel = 10, KernelTCP = 10, Swappiness = 60, DisableOOMKiller = true },
            Cpu = new() { RealtimeRuntime = 950000, RealtimePeriod = 1000000 },
            BlockIO = new() { LeafWeight = 500, WeightDevice = [new() { Major = 8, Minor = 0, LeafWeight = 300 }] },
        });
        Assert.Equal(["memory.max=100"], plan.Writes.Select(w => w.ToString()));
        Assert.Equal(
            [
                "linux.resources.memory.kernel is not supported on cgroup v2 and was ignored",
                "linux.resources.memory.kernelTCP is not supported on cgroup v2 and was ignored",
                "linux.resources.memory.swappiness is not supported on cgroup v2 and was ignored",
                "linux.resources.memory.disableOOMKiller is not supported on cgroup v2 and was ignored",
                "linux.resources.blockIO.leafWeight is not supported on cgroup v2 and was ignored",
                "linux.resources.blockIO.weightDevice[0].leafWeight is not supported on cgroup v2 and was ignored",
                "linux.resources.cpu.realtimeRuntime is not supported on cgroup v2 and was ignored",
                "linux.resources.cpu.realtimePeriod is not supported on cgroup v2 and was ignored",
            ],
            plan.Warnings);
    }

    public static TheoryData<string, LinuxResources, string> InvalidCases => new()
    {
        { "swap without limit", new() { Memory = new() { Swap = 100 } }, "linux.resources.memory.swap: a memory+swap limit (100) needs a memory limit" },
        { "swap below limit", new() { Memory = new() { Limit = 200, Swap = 100 } }, "linux.resources.memory.swap: the memory+swap limit 100 is below the memory limit 200" },
        { "negative limit", new() { Memory = new() { Limit = -2 } }, "linux.resources.memory.limit: -2 is neither a byte count nor -1 (unlimited)" },
        { "blkio weight too small", new() { BlockIO = new() { Weight = 5 } }, "linux.resources.blockIO.weight: 5 is outside the blkio weight range 10-1000" },
        { "device weight too big", new() { BlockIO = new() { WeightDevice = [new() { Major = 8, Minor = 0, Weight = 2000 }] } }, "linux.resources.blockIO.weightDevice[0].weight: 2000 is outside the blkio weight range 10-1000" },
        { "negative major", new() { BlockIO = new() { ThrottleReadBpsDevice = [new() { Major = -1, Minor = 0, Rate = 1 }] } }, "linux.resources.blockIO.throttleReadBpsDevice[0].major: -1 is not a device major number" },
        { "unified path", new() { Unified = new() { ["../memory.max"] = "1" } }, "linux.resources.unified[\"../memory.max\"]: a key must be a file name in the cgroup directory (no '/', not '.' or '..')" },
        { "unified dotdot", new() { Unified = new() { [".."] = "1" } }, "linux.resources.unified[\"..\"]: a key must be a file name in the cgroup directory (no '/', not '.' or '..')" },
        { "unified no controller", new() { Unified = new() { ["tasks"] = "1" } }, "linux.resources.unified[\"tasks\"]: a key must name a controller file such as memory.high (controller.name)" },
    };

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_values_name_the_OCI_field(string why, LinuxResources resources, string message)
    {
        var e = Assert.Throws<CgroupResourceException>(() => CgroupResourceMapper.Map(resources));
        Assert.True(message == e.Message, $"{why}: {e.Message}");
        Assert.StartsWith(e.Field + ": ", e.Message);
    }
}
