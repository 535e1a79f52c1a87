using System.IO.MemoryMappedFiles;
using SandboxRt.Interop;

namespace SandboxRt.UnitTests.Bindings;

/// <summary>
/// ResidentImage unmaps the resident pages of a file's read-only mappings (what a relay does to its own
/// binary) and leaves writable ones alone. A file of the test's own stands for the binary: the test host's
/// executable may have been released already by another test's trim.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ResidentImageTests
{
    private const int Size = 1024 * 1024;

    [Fact]
    public void A_read_only_mappings_resident_pages_are_released_and_read_back_from_the_file()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "image");
        File.WriteAllBytes(path, Enumerable.Range(0, Size).Select(i => (byte)i).ToArray());
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.Read);
        long sum = Touch(view);

        long first = ResidentImage.ReleaseClean(path);
        long second = ResidentImage.ReleaseClean(path);

        Assert.True(first >= 4, $"{first} KiB of {path} released");
        Assert.Equal(0, second);
        Assert.Equal(sum, Touch(view)); // faulted back from the page cache, same bytes
    }

    [Fact]
    public void A_writable_mapping_is_left_alone()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "data");
        File.WriteAllBytes(path, new byte[Size]);
        using var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        using var view = map.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite);
        view.Write(4096, (byte)42);

        Assert.Equal(0, ResidentImage.ReleaseClean(path));
        Assert.Equal(42, view.ReadByte(4096));
    }

    [Fact]
    public void A_path_nothing_maps_releases_nothing() =>
        Assert.Equal(0, ResidentImage.ReleaseClean("/nonexistent-sandboxrt/binary"));

    private static long Touch(MemoryMappedViewAccessor view)
    {
        long sum = 0;
        for (int offset = 0; offset < Size; offset += 4096)
            sum += view.ReadByte(offset);
        return sum;
    }
}
