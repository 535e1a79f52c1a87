using SandboxRt.Interop;

namespace SandboxRt.UnitTests.Bindings;

/// <summary>ResidentImage unmaps the clean pages of a running binary (the test host's own) and leaves everything else alone.</summary>
[Trait("Tier", "unit")]
public sealed class ResidentImageTests
{
    [Fact]
    public void The_running_binarys_clean_pages_are_unmapped_and_it_keeps_running()
    {
        var binary = Environment.ProcessPath!;

        long first = ResidentImage.ReleaseClean(binary);
        long second = ResidentImage.ReleaseClean(binary);

        Assert.True(first > 0, $"nothing of {binary} was resident");
        Assert.True(second < first, $"{second} KiB still resident after releasing {first} KiB");
        // the process still runs its own code, faulted back from the page cache
        Assert.Equal(6, Enumerable.Range(1, 3).Sum());
    }

    [Fact]
    public void A_path_nothing_maps_releases_nothing() =>
        Assert.Equal(0, ResidentImage.ReleaseClean("/nonexistent-sandboxrt/binary"));
}
