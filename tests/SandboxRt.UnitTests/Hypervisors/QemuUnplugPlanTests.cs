using SandboxRt.Runtime.Hypervisors.Qemu;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>What a shrinking VM unplugs: hot-plugged vCPUs newest first, whole DIMMs that fit the surplus, never the boot size.</summary>
[Trait("Tier", "unit")]
public sealed class QemuUnplugPlanTests
{
    [Fact]
    public void A_container_that_leaves_gives_back_its_dimm_and_its_vcpu()
    {
        // boot 1 vCPU / 512 MiB; A joined (+1 vCPU, +512 MiB), then B (+1 vCPU, +256 MiB); A leaves
        var plan = QemuUnplugPlan.Choose(["cpu-1", "cpu-2"], 3, 2, [("dimm-a", 512), ("dimm-b", 256)], 1280, 768);
        Assert.Equal(["cpu-2"], plan.Cpus);
        Assert.Equal(["dimm-a"], plan.Dimms);
    }

    [Fact]
    public void The_boot_vcpus_and_memory_stay_whatever_the_target()
    {
        var plan = QemuUnplugPlan.Choose(["cpu-1"], 2, 0, [("dimm-a", 128)], 640, 0);
        Assert.Equal(["cpu-1"], plan.Cpus);
        Assert.Equal(["dimm-a"], plan.Dimms);
        Assert.True(QemuUnplugPlan.Choose([], 1, 1, [], 512, 512).IsEmpty);
        Assert.True(QemuUnplugPlan.Choose([], 4, 1, [], 4096, 512).IsEmpty); // nothing was hot-plugged: a big boot stays big
    }

    [Fact]
    public void A_dimm_larger_than_the_surplus_stays_and_smaller_ones_fill_it_largest_first()
    {
        // 512 + 1024 + 256 + 128 plugged, 400 MiB no longer needed: the 256 and the 128 go, never the 1024
        var plan = QemuUnplugPlan.Choose([], 1, 1, [("d1024", 1024), ("d256", 256), ("d128", 128)], 512 + 1024 + 256 + 128, 512 + 1024 + 256 + 128 - 400);
        Assert.Equal(["d256", "d128"], plan.Dimms);
        Assert.True(QemuUnplugPlan.Choose([], 1, 1, [("d1024", 1024)], 1536, 1000).IsEmpty);
    }

    [Fact]
    public void Of_equal_dimms_the_newest_goes_first_and_an_update_that_lowers_nothing_unplugs_nothing()
    {
        Assert.Equal(["second"], QemuUnplugPlan.Choose([], 1, 1, [("first", 256), ("second", 256)], 1024, 768).Dimms);
        Assert.True(QemuUnplugPlan.Choose(["cpu-1"], 2, 2, [("d", 256)], 768, 768).IsEmpty);
        Assert.True(QemuUnplugPlan.Choose(["cpu-1"], 2, 3, [("d", 256)], 768, 1024).IsEmpty); // a bigger target is a growth, not this
    }
}
