using SandboxRt.Interop;

namespace SandboxRt.UnitTests.State;

/// <summary>
/// A lock file may be unlinked by its holder (a failed create, a delete): whoever was waiting on it must
/// end up holding the file the path names, not the unlinked one, or two processes would both "hold" it.
/// </summary>
[Trait("Tier", "unit")]
public sealed class FileLockTests
{
    private static List<string> OpenOn(string path) =>
        [.. Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .OfType<string>()
            .Where(target => target.StartsWith(path, StringComparison.Ordinal))];

    [Fact]
    public async Task A_waiter_on_a_lock_file_unlinked_by_its_holder_locks_the_file_the_path_names()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "c1.lock");
        var holder = FileLock.Acquire(path, TimeSpan.FromSeconds(5));
        var waiter = Task.Run(() => FileLock.Acquire(path, TimeSpan.FromSeconds(60)));
        // wait until the waiter has the old file open (it then polls flock on it)
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (OpenOn(path).Count < 2 && !waiter.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the waiter never opened the lock file");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        File.Delete(path);
        holder.Dispose();
        using var second = await waiter.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.True(File.Exists(path), "the waiter holds a lock on a file nobody else can find");
        Assert.Equal([path], OpenOn(path)); // not "c1.lock (deleted)"
    }
}
