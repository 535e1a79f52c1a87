using SandboxRt.Runtime.Hypervisors.Qemu;

namespace SandboxRt.UnitTests.Hypervisors;

/// <summary>How a growth splits its memory into DIMMs, so that a shrink to any lower size can unplug whole ones down to it.</summary>
[Trait("Tier", "unit")]
public sealed class QemuDimmSizesTests
{
    [Fact]
    public void A_growth_is_1_2_4_blocks_and_the_rest()
    {
        Assert.Equal([128, 256, 512, 128], QemuHotplug.DimmSizesMib(1024, freeSlots: 16));
        Assert.Equal([128, 256, 512, 1024, 128], QemuHotplug.DimmSizesMib(2048, freeSlots: 16));
        Assert.Equal([128, 256, 512, 1024, 6272], QemuHotplug.DimmSizesMib(8192, freeSlots: 16)); // five at most: the last takes the rest
        Assert.Equal([128], QemuHotplug.DimmSizesMib(128, freeSlots: 16));
        Assert.Equal([128, 256], QemuHotplug.DimmSizesMib(384, freeSlots: 16));
        Assert.Empty(QemuHotplug.DimmSizesMib(0, freeSlots: 16));
    }

    [Fact]
    public void Short_of_slots_a_growth_plugs_fewer_and_one_at_the_last()
    {
        Assert.Equal([128, 896], QemuHotplug.DimmSizesMib(1024, freeSlots: 10)); // eight slots stay for later growths
        Assert.Equal([1024], QemuHotplug.DimmSizesMib(1024, freeSlots: 9));
        Assert.Equal([1024], QemuHotplug.DimmSizesMib(1024, freeSlots: 1));
    }

    /// <summary>
    /// For every growth of 1-31 blocks (1+2+4+8 and a rest of at most 16: five DIMMs) and every lower size, the
    /// unplug plan leaves exactly that size; above, never less than it.
    /// </summary>
    [Fact]
    public void A_shrink_reaches_every_lower_size_exactly()
    {
        const int boot = 512;
        for (int blocks = 1; blocks <= 64; blocks++)
        {
            var dimms = QemuHotplug.DimmSizesMib(blocks * 128, freeSlots: 16).Select((size, i) => ($"dimm-{i}", size)).ToList();
            for (int keep = 0; keep <= blocks; keep++)
            {
                var plan = QemuUnplugPlan.Choose([], 1, 1, dimms, boot + blocks * 128, boot + keep * 128);
                int left = boot + dimms.Where(d => !plan.Dimms.Contains(d.Item1)).Sum(d => d.size);
                Assert.True(blocks <= 31 ? left == boot + keep * 128 : left >= boot + keep * 128,
                    $"grown by {blocks} blocks in {string.Join("+", dimms.Select(d => d.size))} MiB, shrunk to {keep} blocks: {left - boot} MiB left");
            }
        }
    }
}
