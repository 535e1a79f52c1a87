namespace SandboxRt.IntegrationTests.Support;

/// <summary>A private directory under /tmp, removed at the end of the test.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory(string prefix = "srt")
    {
        Path = System.IO.Path.Combine("/tmp", $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// Removes the directory. Whatever a failed test left mounted under it is unmounted first (never
    /// deleted through); a directory that still cannot go is reported, not thrown over the test's own failure.
    /// </summary>
    public void Dispose()
    {
        foreach (var mount in File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(Path + "/")).OrderByDescending(m => m.Length))
            SandboxRt.Interop.FileSystem.TryUnmount(mount, detach: true);
        for (int attempt = 0; Directory.Exists(Path); attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException e)
            {
                if (attempt >= 50)
                {
                    TestContext.Current.TestOutputHelper?.WriteLine($"could not remove {Path}: {e.Message}");
                    return;
                }
                Thread.Sleep(100);
            }
        }
    }
}
