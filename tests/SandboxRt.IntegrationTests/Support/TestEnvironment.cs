using SandboxRt.Interop;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// Where the built artifacts are, and skipping (with the reason) when something is missing. Under CI=true
/// a missing prerequisite fails the test with the same reason instead: on CI a skipped VM test is a test
/// that went green by accident.
/// </summary>
internal static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The NativeAOT agent (make build): $SANDBOXRT_AGENT or out/agent/sandboxrt-agent.</summary>
    public static string AgentBinary =>
        Environment.GetEnvironmentVariable("SANDBOXRT_AGENT") is { Length: > 0 } p ? p : Path.Combine(RepoRoot, "out", "agent", "sandboxrt-agent");

    /// <summary>The installed guest image (make guest-image).</summary>
    public static string GuestDir =>
        Environment.GetEnvironmentVariable("SANDBOXRT_GUEST_DIR") is { Length: > 0 } p ? p : "/usr/share/sandboxrt";

    public static string Kernel => Path.Combine(GuestDir, "vmlinux");
    public static string Initrd => Path.Combine(GuestDir, "initramfs.img");
    /// <summary>The read-only root image the shipped qemu.json boots on q35 (built with SandboxRt's own kernel).</summary>
    public static string Image => Path.Combine(GuestDir, "rootfs.img");
    public static string Qemu => "/usr/bin/qemu-system-x86_64";

    /// <summary>
    /// SANDBOXRT_TEST_VM_TEMPLATE=false runs the tests with VM templates off (every sandbox boots its kernel),
    /// as `make test`'s second pass does: every tier and client must pass both ways (issue 17). Unset: the
    /// shipped default (templates on). Tests about templates themselves set qemu.vm_template explicitly.
    /// </summary>
    public static bool TemplatesOff => Environment.GetEnvironmentVariable("SANDBOXRT_TEST_VM_TEMPLATE") is "false" or "0";

    /// <summary>
    /// The qemu.json every client in the tests is given: the shipped hypervisor-configs/qemu.json, or with
    /// <see cref="TemplatesOff"/> a copy of it with vm_template false (out/test-config/qemu-templates-off.json).
    /// </summary>
    public static string QemuConfig => TemplatesOff ? TemplatesOffConfig.Value : ShippedQemuConfig;

    private static string ShippedQemuConfig => Path.Combine(RepoRoot, "hypervisor-configs", "qemu.json");

    private static readonly Lazy<string> TemplatesOffConfig = new(() =>
    {
        var text = File.ReadAllText(ShippedQemuConfig);
        var off = text.Replace("\"vm_template\": true", "\"vm_template\": false");
        if (off == text)
            throw new InvalidOperationException($"{ShippedQemuConfig} has no \"vm_template\": true to turn off");
        return WriteGenerated("qemu-templates-off.json", off);
    });

    /// <summary>
    /// Writes a file the tests generate (out/test-config/NAME) whole: into a scratch name, then renamed over,
    /// so that a client reading it while another test process writes it never sees half of it.
    /// </summary>
    public static string WriteGenerated(string name, string text, UnixFileMode? mode = null)
    {
        var path = Path.Combine(RepoRoot, "out", "test-config", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var scratch = $"{path}.{Environment.ProcessId}";
        File.WriteAllText(scratch, text);
        if (mode is { } m)
            File.SetUnixFileMode(scratch, m);
        File.Move(scratch, path, overwrite: true);
        return path;
    }

    /// <summary>sandboxrt-jailer (make build): in-process VMs start QEMU through it, as the CLI and the shim do.</summary>
    public static string Jailer => Path.Combine(RepoRoot, "out", "bin", "sandboxrt-jailer");

    /// <summary>
    /// The kernel modules the installed image carries (manifest.json), as the agent names them: none for
    /// the SandboxRt kernel (everything built in), the module list for Debian's kernel.
    /// </summary>
    public static IReadOnlyList<string> ImageModules
    {
        get
        {
            using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(GuestDir, "manifest.json")));
            return manifest.RootElement.GetProperty("modules").EnumerateArray()
                .Select(m => Path.GetFileNameWithoutExtension(m.GetString()!)).ToList();
        }
    }

    public static string HostKernelRelease => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>True when the CI variable says so (CI=true, as GitHub Actions, GitLab and .ci/run set it).</summary>
    public static bool OnCi => Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    /// <summary>Skips the test with <paramref name="reason"/>, or fails it with that reason under CI=true.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Skip(string reason) => Skip(reason, OnCi);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal static void Skip(string reason, bool onCi)
    {
        if (onCi)
            Assert.Fail($"{reason} (CI=true: a missing prerequisite fails the test instead of skipping it)");
        Assert.Skip(reason);
    }

    public static void RequireRoot()
    {
        if (ChildProcesses.EffectiveUid != 0)
            Skip("needs root (this test mounts, spawns VMs or creates namespaces)");
    }

    public static void RequireFile(string path, string what)
    {
        if (!File.Exists(path))
            Skip($"needs {what}: {path} is missing");
    }

    public static void RequireCommand(string name, string package)
    {
        if (FindOnPath(name) is null)
            Skip($"needs '{name}' (apt-get install {package})");
    }

    public static void RequireVmPrerequisites()
    {
        RequireRoot();
        RequireFile(Qemu, "QEMU (apt-get install qemu-system-x86)");
        RequireFile(Kernel, "the guest kernel (make guest-image)");
        RequireFile(Initrd, "the guest initramfs (make guest-image)");
        RequireFile(Image, "the guest root image rootfs.img (make guest-image, with SandboxRt's own kernel)");
        RequireFile(Jailer, "sandboxrt-jailer (make build)");
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SandboxRt.sln")))
                return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (SandboxRt.sln) above " + AppContext.BaseDirectory);
    }
}
