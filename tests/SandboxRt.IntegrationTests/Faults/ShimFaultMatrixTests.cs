using SandboxRt.IntegrationTests.Support;
using static SandboxRt.IntegrationTests.Faults.FaultComponent;
using static SandboxRt.IntegrationTests.Faults.FaultPhase;

namespace SandboxRt.IntegrationTests.Faults;

/// <summary>
/// The fault matrix through containerd and the shim (ctr): one component killed (or the guest crashed) in
/// one phase. Every cell: the ctr call in progress ends within <see cref="Bound"/>, `ctr task delete -f`
/// and `ctr container rm` (what a user does next) leave containerd without the container, and the leak
/// checker finds nothing of the pod on the host. docs/reliability.md has the table.
/// </summary>
[Trait("Tier", "fault")]
[Collection("fault")]
public sealed class ShimFaultMatrixTests(ContainerdDaemon containerd) : IClassFixture<ContainerdDaemon>
{
    private const string Runtime = "io.containerd.sandboxrt.v2";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The shim's create boots the VM and creates the container in one Task.Create call; "during create"
    /// is that call held in the spec's createRuntime hook, which the shim runs on the host between the two
    /// (ctr run --config with a spec of the test's). Delete is the task killed and stopped and `ctr task
    /// delete` started, then the kill (docs/reliability.md).
    /// </summary>
    public static TheoryData<FaultPhase, FaultComponent> Cells => new()
    {
        { Boot, Qemu }, { Boot, Virtiofsd }, { Boot, ShimDaemon },
        { Create, Qemu }, { Create, Virtiofsd }, { Create, ShimDaemon },
        { Running, Qemu }, { Running, Virtiofsd }, { Running, ShimDaemon }, { Running, Guest },
        { Exec, Qemu }, { Exec, Virtiofsd }, { Exec, ShimDaemon }, { Exec, Guest },
        { Delete, Qemu }, { Delete, Virtiofsd }, { Delete, ShimDaemon },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task A_killed_component_ends_the_call_and_ctr_rm_leaves_nothing(FaultPhase phase, FaultComponent component)
    {
        TestEnvironment.RequireVmPrerequisites();
        containerd.RequireRunning();
        var id = $"f-{phase}-{component}-{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant();
        var stateDirectory = Path.Combine(SandboxRt.Shim.Cli.ShimPaths.Directory(containerd.Socket, "default", id), id);
        var leaks = LeakChecker.ForShim(containerd.Socket, id);
        using var bundle = phase == Create ? HeldBundle() : null;
        try
        {
            if (bundle is not null)
            {
                using var run = Ctr("run", "-d", "--runtime", Runtime, "--runtime-config-path", WriteConfig(coldBoot: false), "--config", Path.Combine(bundle.Directory, "config.json"), id);
                await CreateHold.WaitReachedAsync(bundle, Bound);
                Strike(component, id, stateDirectory);
                CreateHold.Release(bundle);
                Assert.NotEqual(0, await run.WaitForExitAsync(Bound));
                Assert.False(string.IsNullOrWhiteSpace(run.Stderr), "a failed ctr run says why");
            }
            else if (phase == Boot)
            {
                using var run = Ctr(Run("-d", id, coldBoot: true));
                await SandboxProcesses.WaitForBootAsync(id, stateDirectory);
                Strike(component, id, stateDirectory);
                Assert.NotEqual(0, await run.WaitForExitAsync(Bound));
                Assert.False(string.IsNullOrWhiteSpace(run.Stderr), "a failed ctr run says why");
            }
            else
            {
                using (var run = Ctr(Run("-d", id)))
                    Assert.True(await run.WaitForExitAsync(Bound) == 0, $"ctr run -d: {run.Stderr}");
                if (phase == Running)
                {
                    await StrikeAsync(component, id, stateDirectory);
                    if (component is Qemu or Guest or Virtiofsd)
                        await Condition.WaitAsync(async () => (await TaskStatus(id)).Contains("STOPPED"), "the task to stop with its VM", Bound);
                }
                else if (phase == Delete)
                {
                    // the task killed and stopped (its VM still up), `ctr task delete` under way: the strike.
                    // Without a test-only hook this is as close to "inside the shim's Delete" as an event gets.
                    await containerd.Ctr("task", "kill", "-s", "9", id);
                    await Condition.WaitAsync(async () => (await TaskStatus(id)).Contains("STOPPED"), "the task to stop", Bound);
                    using var delete = Ctr("task", "delete", id);
                    Strike(component, id, stateDirectory);
                    await delete.WaitForExitAsync(Bound);
                }
                else
                {
                    using var exec = Ctr("task", "exec", "--exec-id", "e1", id, "sh", "-c", "echo exec-ready; exec sleep 100000");
                    await exec.WaitForOutputAsync("exec-ready");
                    await StrikeAsync(component, id, stateDirectory);
                    Assert.NotEqual(0, await exec.WaitForExitAsync(Bound));
                }
            }
            // what a user does next
            await containerd.Ctr("task", "delete", "-f", id);
            await containerd.Ctr("container", "rm", id);
            Assert.DoesNotContain(id, (await containerd.Ctr("container", "ls", "-q")).Stdout);
            if (await leaks.WaitCleanAsync(TimeSpan.FromSeconds(30)) is { Length: > 0 } left)
                Assert.Fail($"left behind:\n{left}\ncontainerd about {id}:\n{string.Join('\n', containerd.Log.Split('\n').Where(l => l.Contains(id)).TakeLast(30))}");
        }
        finally
        {
            if (bundle is not null)
                CreateHold.Release(bundle);
            await containerd.Ctr("task", "kill", "-s", "9", id);
            await containerd.Ctr("task", "delete", "-f", id);
            await containerd.Ctr("container", "rm", id);
        }
    }

    /// <summary>A spec of the test's own (ctr run --config: no image, the rootfs by absolute path) whose createRuntime hook holds create.</summary>
    private static TestBundle HeldBundle()
    {
        var bundle = new TestBundle(s => s.Process!.Args = ["sleep", "100000"]);
        bundle.Spec.Root!.Path = bundle.Rootfs;
        CreateHold.Install(bundle);
        return bundle;
    }

    private RunningClient Ctr(params string[] args) => RunningClient.Start("ctr", ["-a", containerd.Socket, .. args]);

    /// <param name="coldBoot">The boot phase is a kernel booting: that run has VM templates off (a clone has no boot to strike in).</param>
    private string[] Run(string detach, string id, bool coldBoot = false) =>
        ["run", detach, "--privileged", "--runtime", Runtime, "--runtime-config-path", WriteConfig(coldBoot), LocalImage.Reference, id, "sleep", "100000"];

    private async Task<string> TaskStatus(string id) =>
        (await containerd.Ctr("task", "ls")).Stdout.Split('\n').FirstOrDefault(l => l.StartsWith(id + " ")) ?? "";

    private async Task StrikeAsync(FaultComponent component, string id, string stateDirectory)
    {
        if (component != Guest)
        {
            Strike(component, id, stateDirectory);
            return;
        }
        // sysrq "c" from the privileged container: the guest kernel panics, panic=-1 and -no-reboot end QEMU
        var crash = await containerd.Ctr("task", "exec", "--exec-id", "crash", id, "sh", "-c", "echo c > /proc/sysrq-trigger");
        Assert.NotEqual(0, crash.ExitCode);
    }

    private void Strike(FaultComponent component, string id, string stateDirectory)
    {
        IReadOnlyList<int> victims = component switch
        {
            Qemu => [SandboxProcesses.Qemu(id) ?? throw new InvalidOperationException($"no QEMU for {id}")],
            Virtiofsd => SandboxProcesses.Virtiofsd(stateDirectory) is { Count: > 0 } v ? v : throw new InvalidOperationException($"no virtiofsd for {id}"),
            ShimDaemon => [SandboxProcesses.Shim(containerd.Socket, id) ?? throw new InvalidOperationException($"no shim for {id}")],
            _ => throw new ArgumentOutOfRangeException(nameof(component), component, "not a shim component"),
        };
        foreach (var pid in victims)
            SandboxProcesses.Kill(pid);
    }

    private string WriteConfig(bool coldBoot)
    {
        var path = containerd.ScratchPath(coldBoot ? "qemu-cold.json" : "qemu.json");
        return File.Exists(path) ? path : VmTestConfig.WriteFile(path, coldBoot);
    }
}
