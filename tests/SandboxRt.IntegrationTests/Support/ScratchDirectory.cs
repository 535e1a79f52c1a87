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
    /// Removes the directory. A container a failed test left in it (a CLI --root: ID/state.json, or a
    /// root inside it: DIR/ID/state.json) is deleted
    /// first through the CLI, which stops its VM, virtiofsd and relay (before this, a test that failed
    /// part-way left its QEMU running); whatever is still mounted under it is unmounted (never deleted
    /// through); a directory that still cannot go is reported, not thrown over the test's own failure.
    /// </summary>
    public void Dispose()
    {
        DeleteLeftContainers();
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

    private void DeleteLeftContainers()
    {
        if (!File.Exists(CliRun.Binary) || !Directory.Exists(Path))
            return;
        // the scratch directory itself as the --root (ID/state.json), or a directory in it ("state"/ID/state.json)
        foreach (var record in Directory.EnumerateFiles(Path, "state.json", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
        {
            var container = System.IO.Path.GetDirectoryName(record)!;
            var id = System.IO.Path.GetFileName(container);
            using var delete = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(CliRun.Binary,
                ["--root", System.IO.Path.GetDirectoryName(container)!, "--config", TestEnvironment.QemuConfig, "delete", "--force", id])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            var output = delete.StandardError.ReadToEndAsync();
            if (!delete.WaitForExit(TimeSpan.FromSeconds(60)))
                delete.Kill();
            TestContext.Current.TestOutputHelper?.WriteLine($"left behind by the test: container {id}, deleted (exit {(delete.HasExited ? delete.ExitCode : -1)}) {output.Result}");
        }
    }
}
