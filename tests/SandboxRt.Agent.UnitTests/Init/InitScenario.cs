using SandboxRt.Agent.Init;
using SandboxRt.Agent.UnitTests.Fakes;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>
/// One real OCI config (the fixtures) run through container init against the recording fake: the spec's
/// root.path becomes a scratch rootfs holding what the kernel's /proc and /sys would show (some of the
/// masked paths are left out on purpose), and each bind source becomes a scratch file, as the agent
/// resolves them to guest paths before init runs.
/// </summary>
internal sealed class InitScenario : IDisposable
{
    // What the fake's /proc and /sys hold: every readonly path, some masked ones (asound, latency_stats,
    // timer_stats and scsi are missing, as on a guest kernel without them).
    private static readonly string[] KernelDirectories = ["proc/sys", "proc/bus", "proc/fs", "proc/irq", "proc/acpi", "sys/firmware"];
    private static readonly string[] KernelFiles = ["proc/sysrq-trigger", "proc/kcore", "proc/keys", "proc/timer_list", "proc/sched_debug"];

    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "srt-agent-unit-" + Guid.NewGuid().ToString("N")[..12]);

    public InitScenario(string fixture, Action<Spec>? edit = null)
    {
        Spec = SpecLoader.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "oci-configs", fixture)), fixture);
        Rootfs = Path.Combine(_scratch, "rootfs");
        foreach (var dir in KernelDirectories)
            Directory.CreateDirectory(Path.Combine(Rootfs, dir));
        foreach (var file in KernelFiles)
            File.WriteAllBytes(Path.Combine(Rootfs, file), []);
        Spec.Root!.Path = Rootfs;
        var shared = Directory.CreateDirectory(Path.Combine(_scratch, "shared")).FullName;
        for (int i = 0; i < (Spec.Mounts?.Count ?? 0); i++)
            if (Spec.Mounts![i].IsBind)
            {
                var source = Path.Combine(shared, $"{i}-{Path.GetFileName(Spec.Mounts[i].Source)}");
                if (Spec.Mounts[i].Destination == "/dev/shm")
                    Directory.CreateDirectory(source);
                else
                    File.WriteAllText(source, "");
                Spec.Mounts[i].Source = source;
            }
        edit?.Invoke(Spec);
        Config = new InitConfig { Spec = Spec, Process = Spec.Process!, CgroupPath = "/sys/fs/cgroup/sandboxrt/c1" };
    }

    public Spec Spec { get; }

    public InitConfig Config { get; }

    /// <summary>The scratch directory the spec's root.path names.</summary>
    public string Rootfs { get; }

    public RecordingSyscalls Syscalls { get; } = new();

    public List<string> Warnings { get; } = [];

    public List<string> Calls => Syscalls.Calls;

    /// <summary>What ContainerInit.Run does for a create, minus the init socket: prepare, then (after Start) finalize and exec.</summary>
    public void Run()
    {
        var seccomp = SeccompStep.Compile(Spec.Linux?.Seccomp);
        ContainerInit.PrepareContainer(Config, null, Syscalls);
        ProcessFinalizer.Run(Config.Process, seccomp, Warnings.Add, Syscalls);
    }

    /// <summary>A host path inside the rootfs, as the mounts before pivot_root name it.</summary>
    public string InRootfs(string containerPath) => Path.Join(Rootfs, containerPath);

    /// <summary>The position of the first call starting with <paramref name="prefix"/> at or after <paramref name="from"/>; fails when there is none.</summary>
    public int IndexOf(string prefix, int from = 0)
    {
        for (int i = from; i < Calls.Count; i++)
            if (Calls[i].StartsWith(prefix, StringComparison.Ordinal))
                return i;
        Assert.Fail($"no call starting with '{prefix}' after position {from} in:\n{string.Join('\n', Calls)}");
        return -1;
    }

    public int LastIndexOf(string prefix) => Calls.FindLastIndex(c => c.StartsWith(prefix, StringComparison.Ordinal));

    public int Count(string prefix) => Calls.Count(c => c.StartsWith(prefix, StringComparison.Ordinal));

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
