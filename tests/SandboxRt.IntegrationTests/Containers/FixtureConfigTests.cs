using SandboxRt.IntegrationTests.Support;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.IntegrationTests.Containers;

/// <summary>
/// The four real config.json files written by ctr, Docker and the CRI plugin (tests/SandboxRt.UnitTests/
/// Fixtures/oci-configs, copied from shared/fixtures) run in a real VM with the validator as the process.
/// Adaptations, all of them host-specific: root.path becomes a local busybox rootfs, bind sources become
/// files in the bundle, namespace paths (host namespaces of a CRI pod) become fresh namespaces, and
/// Docker's prestart hook (a path into the dockerd that wrote it) is dropped.
/// </summary>
[Trait("Tier", "vm")]
public sealed class FixtureConfigTests
{
    private static Spec LoadFixture(string name) =>
        SpecLoader.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "tests", "SandboxRt.UnitTests", "Fixtures", "oci-configs", name)), name);

    private static async Task<Dictionary<string, string>> RunFixtureAsync(string name)
    {
        TestEnvironment.RequireVmPrerequisites();
        var spec = LoadFixture(name);
        using var bundle = new TestBundle(spec: spec, customize: s =>
        {
            s.Process!.Args = ["validator"];
            s.Hooks = null;
            foreach (var ns in s.Linux?.Namespaces ?? [])
                ns.Path = null;
        });
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var m = spec.Mounts![i];
            if (!m.IsBind)
                continue;
            var local = Path.Combine(bundle.Directory, "bind-" + i);
            if (m.Destination == "/dev/shm")
                Directory.CreateDirectory(local);
            else
                File.WriteAllText(local, $"content of {m.Destination}\n");
            m.Source = local;
        }
        bundle.Save();
        return await ValidatorRun.RunAsync(bundle, "fx");
    }

    [Fact]
    public async Task Dockers_config_runs_with_its_seccomp_profile_enforced()
    {
        var f = await RunFixtureAsync("docker-run.json");
        Assert.Equal("2", f["Seccomp"]);                           // a filter is installed
        Assert.Equal("EPERM", f["sc_keyctl"]);                     // denied by the profile's default action
        Assert.Equal("ENOSYS", f["sc_clone3"]);                    // the profile's errnoRet 38
        Assert.Equal("ok", f["sc_personality_query"]);             // allowed by an argument rule
        Assert.Equal("EPERM", f["sc_mount_tmpfs"]);
        Assert.Equal("0", f["sysctl_unprivileged_port_start"]);    // linux.sysctl
        Assert.Equal("58801078b6e6", f["hostname"]);
        Assert.Equal("1", f["pid"]);
        // Docker grants CAP_MKNOD (bit 27 of CapEff), so these answers come from the device cgroup (eBPF):
        // its rules allow c 1:3 and deny c 1:11, including mknod ('m').
        Assert.Equal("a80425fb", f["CapEff"][8..]);
        Assert.Equal("mknod:EPERM", f["open_kmsg_node"]);
        Assert.Equal("ok", f["open_null_node"]);
        Assert.Contains(f["mountinfo"].Split(';'), m => m.Contains(" /etc/resolv.conf "));
    }

    [Fact]
    public async Task Ctrs_config_runs()
    {
        var f = await RunFixtureAsync("ctr-run.json");
        Assert.Equal("1024:1024", f["rlimit_nofile"]);
        Assert.Equal("1", f["NoNewPrivs"]);
        Assert.Contains("FOO=bar", f["env"].Split('\n'));
        Assert.Equal("1", f["pid"]);
    }

    [Fact]
    public async Task The_cri_sandbox_config_runs_read_only_with_its_oom_score()
    {
        var f = await RunFixtureAsync("cri-sandbox.json");
        Assert.Equal("EROFS", f["write_root"]);
        Assert.Equal("-998", f["oom_score_adj"]);
        Assert.Equal("e2e-pod", f["hostname"]);
        Assert.Equal("1", f["NoNewPrivs"]);
    }

    [Fact]
    public async Task The_cri_container_config_runs_with_its_bind_mounts()
    {
        var f = await RunFixtureAsync("cri-container.json");
        var mounts = f["mountinfo"].Split(';');
        Assert.Contains(mounts, m => m.Contains(" /etc/hosts "));
        Assert.Contains(mounts, m => m.Contains(" /dev/shm "));
        Assert.Equal("0", f["uid"]);
    }
}
