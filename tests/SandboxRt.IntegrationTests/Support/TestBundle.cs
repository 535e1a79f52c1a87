using System.Text.Json;
using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// An OCI bundle for a test: a busybox-static root file system (with the validator, memhog and forker
/// programs in /usr/bin) and a config.json from `sandboxrt spec`'s default, customised by the test.
/// </summary>
internal sealed class TestBundle : IDisposable
{
    private readonly ScratchDirectory _dir = new("srt-bundle");

    public TestBundle(Action<Spec>? customize = null, Spec? spec = null)
    {
        TestEnvironment.RequireFile(TestInitramfs.Busybox, "busybox-static (apt-get install busybox-static)");
        Directory = _dir.Path;
        Rootfs = _dir.Combine("rootfs");
        BuildRootfs(Rootfs);
        Spec = spec ?? DefaultSpec.Create();
        Spec.Process!.Terminal = false;
        Spec.Root!.Path = "rootfs";
        customize?.Invoke(Spec);
        Save();
    }

    public string Directory { get; }
    public string Rootfs { get; }
    public Spec Spec { get; }

    public void Save() =>
        File.WriteAllText(Path.Combine(Directory, "config.json"), JsonSerializer.Serialize(Spec, OciJsonContext.Default.Spec));

    /// <summary>A file next to the rootfs (for bind-mount sources).</summary>
    public string WriteFile(string name, string content)
    {
        var path = _dir.Combine(name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    /// <summary>An executable file (mode 0755) next to the rootfs: a host hook's script.</summary>
    public string WriteExecutable(string name, string content)
    {
        var path = WriteFile(name, content);
        System.IO.File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    /// <summary>Makes <paramref name="script"/> (written as <paramref name="name"/>) the bundle's one prestart hook, and saves the bundle.</summary>
    public void SetPrestartHook(string name, string script)
    {
        Spec.Hooks = new SandboxRt.Oci.Spec.Hooks { Prestart = [new SandboxRt.Oci.Spec.Hook { Path = WriteExecutable(name, script) }] };
        Save();
    }

    /// <summary>
    /// Makes every applet a hard link to busybox instead of a symlink: 9p in mapped-xattr mode reads a
    /// symlink's target from the file's content, so symlinks made on the host cannot be followed there.
    /// </summary>
    public void HardLinkApplets()
    {
        var busybox = Path.Combine(Rootfs, "bin", "busybox");
        foreach (var link in System.IO.Directory.EnumerateFileSystemEntries(Path.Combine(Rootfs, "bin")).Where(p => new FileInfo(p).LinkTarget is not null).ToList())
        {
            using var ln = System.Diagnostics.Process.Start("ln", ["-f", busybox, link])!;
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }
    }

    private static void BuildRootfs(string rootfs)
    {
        foreach (var d in new[] { "bin", "sbin", "usr/bin", "etc", "proc", "sys", "dev", "tmp", "root", "run" })
            System.IO.Directory.CreateDirectory(Path.Combine(rootfs, d));
        System.IO.File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0b1_111_111_111);
        System.IO.File.Copy(TestInitramfs.Busybox, Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "echo", "cat", "ls", "id", "uname", "sleep", "kill", "head", "tail", "seq", "stty", "sha256sum", "wc", "hostname", "ps", "true", "false", "env", "mount", "grep", "tr", "dd", "touch", "stat" })
            System.IO.File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        foreach (var program in new[] { TestBinaries.Validator, TestBinaries.Memhog, TestBinaries.Forker, TestBinaries.DnsProbe, TestBinaries.XattrProbe })
            System.IO.File.Copy(program, Path.Combine(rootfs, "usr", "bin", Path.GetFileName(program)));
        System.IO.File.WriteAllText(Path.Combine(rootfs, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n");
        System.IO.File.WriteAllText(Path.Combine(rootfs, "etc", "group"), "root:x:0:\ntester:x:1000:\n");
    }

    public void Dispose() => _dir.Dispose();
}
