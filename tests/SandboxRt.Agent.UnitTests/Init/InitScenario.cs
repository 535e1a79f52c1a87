using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.UnitTests.Init;

/// <summary>
/// One real OCI config (the fixtures), ready to plan: the spec's root.path becomes a scratch rootfs, and
/// each bind source becomes a scratch file, as the agent resolves them to guest paths before it plans
/// the init.
/// </summary>
internal sealed class InitScenario : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "srt-agent-unit-" + Guid.NewGuid().ToString("N")[..12]);

    public InitScenario(string fixture, Action<Spec>? edit = null)
    {
        Spec = SpecLoader.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "oci-configs", fixture)), fixture);
        Rootfs = Directory.CreateDirectory(Path.Combine(_scratch, "rootfs")).FullName;
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
    }

    public Spec Spec { get; }

    /// <summary>The scratch directory the spec's root.path names.</summary>
    public string Rootfs { get; }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
