using Microsoft.Extensions.Logging.Abstractions;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.State;
using SandboxRt.Shim.Pods;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Shim;

/// <summary>The shim's pod over a fake sandbox: the Task API's verbs, their events, and what a dead VM does to them.</summary>
[Trait("Tier", "unit")]
public sealed class PodTests : IDisposable
{
    private readonly TempDirectory _bundle = new();
    private readonly FakeGuestSandbox _sandbox = new() { Id = "pod1" };
    private readonly List<TaskEvent> _events = [];
    private readonly List<int> _vmStarts = [];
    private readonly Pod _pod;

    public PodTests()
    {
        Directory.CreateDirectory(Path.Combine(_bundle.Path, "rootfs"));
        _bundle.File("config.json", """{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}}""");
        var options = new PodOptions("pod1", _bundle.Path, new HypervisorConfig())
        {
            StartSandbox = (_, _, _) =>
            {
                _vmStarts.Add(1);
                return Task.FromResult<SandboxRt.Runtime.Core.IGuestSandbox>(_sandbox);
            },
        };
        _pod = new Pod(options, new EventList(_events), _ => { }, NullLogger.Instance);
    }

    public void Dispose() => _bundle.Dispose();

    private CreateTaskRequest Request(string id) => new(id, _bundle.Path, [], new ProcessIo("", "", "", false));

    private string[] Kinds()
    {
        lock (_events)
            return [.. _events.Select(e => $"{e.Kind} {e.ContainerId}{(e.ExecId is { Length: > 0 } x ? "/" + x : "")}")];
    }

    [Fact]
    public async Task A_container_is_created_started_exits_and_is_deleted_with_its_events_in_order_and_the_vm_goes_with_it()
    {
        int pid = await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        Assert.Equal(4242, pid); // the hypervisor's pid: the process itself is in the guest
        Assert.Equal(ContainerStatus.Created, _pod.State("pod1", "").Status);
        await _pod.StartAsync("pod1", "", CancellationToken.None);
        Assert.Equal(ContainerStatus.Running, _pod.State("pod1", "").Status);

        var wait = _pod.WaitAsync("pod1", "", CancellationToken.None);
        _sandbox.Fake.Exit("pod1", "", 7);
        Assert.Equal(7, (await wait).Status);
        Assert.Equal(ContainerStatus.Stopped, _pod.State("pod1", "").Status);
        Assert.Equal(["Create pod1", "Start pod1", "Exit pod1"], Kinds()); // Wait returns only after the exit was queued

        await _pod.DeleteAsync("pod1", "", CancellationToken.None);
        Assert.Equal("Delete pod1", Kinds()[^1]);
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Single(_vmStarts);
        Assert.Equal(["attach pod1", "detach pod1"], _sandbox.Files.Calls);
        Assert.True(_pod.IsEmpty);
    }

    [Fact]
    public async Task Every_process_of_a_pod_whose_vm_dies_exits_137()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        await _pod.StartAsync("pod1", "", CancellationToken.None);
        _pod.AddExec("pod1", "e1", new ProcessIo("", "", "", false), new SandboxRt.Oci.Spec.Process { Args = ["sleep", "9"] });
        await _pod.StartAsync("pod1", "e1", CancellationToken.None);

        _sandbox.Vm.Die("qemu killed by signal 9");
        Assert.Equal(ProcessExit.VmDiedStatus, (await _pod.WaitAsync("pod1", "", CancellationToken.None)).Status);
        Assert.Equal(ProcessExit.VmDiedStatus, (await _pod.WaitAsync("pod1", "e1", CancellationToken.None)).Status);
        Assert.Contains("Exit pod1/e1", Kinds());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _pod.PauseAsync("pod1", CancellationToken.None));
        Assert.Equal("cannot pause container pod1: it is stopped", e.Message);
    }

    [Fact]
    public async Task The_verbs_a_state_does_not_allow_are_refused_before_the_guest_is_asked()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        var notStarted = await Assert.ThrowsAsync<InvalidOperationException>(() => _pod.PauseAsync("pod1", CancellationToken.None));
        Assert.Equal("cannot pause container pod1: it is created", notStarted.Message);
        await _pod.StartAsync("pod1", "", CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _pod.StartAsync("pod1", "", CancellationToken.None));
        var running = await Assert.ThrowsAsync<InvalidOperationException>(() => _pod.DeleteAsync("pod1", "", CancellationToken.None));
        Assert.Contains("that is not stopped: it is running", running.Message);

        await _pod.PauseAsync("pod1", CancellationToken.None);
        Assert.Equal(ContainerStatus.Paused, _pod.State("pod1", "").Status);
        var exec = Assert.Throws<InvalidOperationException>(() => _pod.AddExec("pod1", "e1", new ProcessIo("", "", "", false), new SandboxRt.Oci.Spec.Process { Args = ["ls"] }));
        Assert.Equal("cannot exec in container pod1: it is paused", exec.Message);
        await _pod.ResumeAsync("pod1", CancellationToken.None);

        _sandbox.Fake.Exit("pod1", "", 0);
        await _pod.WaitAsync("pod1", "", CancellationToken.None);
        await Assert.ThrowsAsync<ProcessFinishedException>(() => _pod.KillAsync("pod1", "", 9, all: false, CancellationToken.None));
        Assert.Equal(["StartContainer pod1", "PauseContainer pod1", "ResumeContainer pod1"],
            _sandbox.Fake.Calls.Where(c => c.StartsWith("StartContainer") || c.Contains("Pause") || c.Contains("Resume") || c.StartsWith("Signal")));
    }

    [Fact]
    public async Task A_create_the_guest_refuses_leaves_no_container_no_files_and_no_vm()
    {
        _sandbox.Fake.Failures["CreateContainer"] = new AgentException(AgentErrorKind.InvalidArgument, "CreateContainer", "process.args: empty");
        await Assert.ThrowsAsync<AgentException>(() => _pod.CreateAsync(Request("pod1"), CancellationToken.None));
        Assert.True(_pod.IsEmpty);
        Assert.Equal(["attach pod1", "detach pod1"], _sandbox.Files.Calls);
        Assert.Equal(1, _sandbox.Vm.Stops); // the VM it booted for this container
        Assert.Empty(Kinds());
    }

    [Fact]
    public async Task A_vm_that_fails_to_start_fails_the_create_with_its_own_error_and_leaves_no_container()
    {
        var options = new PodOptions("pod1", _bundle.Path, new HypervisorConfig())
        {
            StartSandbox = (_, _, _) => throw new SandboxRt.Runtime.Hypervisors.HypervisorException("qemu.path /nonexistent: no such file"),
        };
        var pod = new Pod(options, new EventList(_events), _ => { }, NullLogger.Instance);

        var e = await Assert.ThrowsAsync<SandboxRt.Runtime.Hypervisors.HypervisorException>(() => pod.CreateAsync(Request("pod1"), CancellationToken.None));
        Assert.Equal("qemu.path /nonexistent: no such file", e.Message); // not a NullReferenceException from the clean-up
        Assert.True(pod.IsEmpty);
        Assert.Empty(Kinds());
    }

    [Fact]
    public async Task An_app_container_needs_its_pods_vm_and_joins_it()
    {
        _bundle.File("config.json", """{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"pod1"}}""");
        var orphan = await Assert.ThrowsAsync<InvalidOperationException>(() => _pod.CreateAsync(Request("app1"), CancellationToken.None));
        Assert.Contains("its sandbox container must be created first", orphan.Message);
        Assert.Empty(_vmStarts);
    }

    private sealed class EventList(List<TaskEvent> events) : ITaskEventSink
    {
        public void Publish(TaskEvent taskEvent)
        {
            lock (events)
                events.Add(taskEvent);
        }
    }

    [Fact]
    public async Task A_container_with_limits_that_joins_the_pod_grows_its_vm_by_them_and_an_update_grows_it_again()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512), _sandbox.Size);
        _bundle.File("config.json", """{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":536870912},"cpu":{"quota":100000,"period":100000}}},"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"pod1"}}""");
        await _pod.CreateAsync(Request("app1"), CancellationToken.None);
        var grown = Math.Min(2, Environment.ProcessorCount);
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(grown, 1024), _sandbox.Size);
        // grown before the container was created in it
        Assert.Equal(2, _sandbox.Sizing.Growths.Count);

        await _pod.StartAsync("app1", "", CancellationToken.None);
        await _pod.UpdateAsync("app1", new SandboxRt.Oci.Spec.LinuxResources { Memory = new SandboxRt.Oci.Spec.LinuxMemory { Limit = 1L << 30 } }, CancellationToken.None);
        Assert.Equal(512 + 1024, _sandbox.Size.MemoryMib);
        Assert.Contains("UpdateContainer app1", _sandbox.Fake.Calls);
    }

    private const string LimitedApp = """{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"resources":{"memory":{"limit":536870912},"cpu":{"quota":100000,"period":100000}}},"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"pod1"}}""";

    [Fact]
    public async Task A_container_with_limits_that_is_deleted_shrinks_the_vm_back_to_what_the_rest_of_the_pod_needs()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        _bundle.File("config.json", LimitedApp);
        await _pod.CreateAsync(Request("app1"), CancellationToken.None);
        await _pod.CreateAsync(Request("app2"), CancellationToken.None);
        Assert.Equal(512 + 1024, _sandbox.Size.MemoryMib);
        Assert.Empty(_sandbox.Sizing.Shrinks);

        await _pod.DeleteAsync("app1", "", CancellationToken.None); // created, never started: removed by force
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(Math.Min(2, Environment.ProcessorCount), 1024), _sandbox.Sizing.Shrinks[^1]);
        await _pod.DeleteAsync("app2", "", CancellationToken.None);
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512), _sandbox.Sizing.Shrinks[^1]); // the configured default: never below it
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512), _sandbox.Size);

        await _pod.DeleteAsync("pod1", "", CancellationToken.None);
        Assert.Equal(2, _sandbox.Sizing.Shrinks.Count); // the pod's own container stops the VM: nothing to shrink
        Assert.Equal(1, _sandbox.Vm.Stops);
    }

    private static string PinnedApp(string cpus) => $$$$"""{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"resources":{"cpu":{"cpus":"{{{{cpus}}}}"}}},"annotations":{"io.kubernetes.cri.container-type":"container","io.kubernetes.cri.sandbox-id":"pod1"}}""";

    [Fact]
    public async Task The_vm_runs_on_the_host_cpus_its_app_containers_name_together_and_follows_their_updates_and_deletes()
    {
        _bundle.File("config.json", """{"ociVersion":"1.0.2","process":{"args":["pause"],"cwd":"/"},"root":{"path":"rootfs"},"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"pod1"}}""");
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        Assert.Equal([HostCpuset.Unpinned], _sandbox.Sizing.Pins);
        _bundle.File("config.json", PinnedApp("2-3"));
        await _pod.CreateAsync(Request("app1"), CancellationToken.None);
        // the CRI sandbox (pause) names no CPUs and does not unpin the pod: the kubelet pins app containers only
        Assert.Equal(new HostCpuset("2-3", null), _sandbox.Sizing.Pins[^1]);
        _bundle.File("config.json", PinnedApp("5"));
        await _pod.CreateAsync(Request("app2"), CancellationToken.None);
        Assert.Equal(new HostCpuset("2-3,5", null), _sandbox.Sizing.Pins[^1]);
        // containers with no quota grow the VM by the CPUs they name (Kata's rule): the default plus 2 plus 1, capped by the host's
        Assert.Equal(Math.Min(4, Environment.ProcessorCount), _sandbox.Sizing.Growths[^1].Vcpus);

        // the static CPU manager moves app1 (UpdateContainerResources), pinned before the guest is asked
        await _pod.StartAsync("app1", "", CancellationToken.None);
        await _pod.UpdateAsync("app1", new SandboxRt.Oci.Spec.LinuxResources { Cpu = new SandboxRt.Oci.Spec.LinuxCpu { Cpus = "0" } }, CancellationToken.None);
        Assert.Equal(new HostCpuset("0,5", null), _sandbox.Sizing.Pins[^1]);

        await _pod.DeleteAsync("app2", "", CancellationToken.None);
        Assert.Equal(new HostCpuset("0", null), _sandbox.Sizing.Pins[^1]);
        // an app container that names none: the VM's vCPUs are its too, so they run anywhere
        _bundle.File("config.json", LimitedApp);
        await _pod.CreateAsync(Request("app3"), CancellationToken.None);
        Assert.Equal(HostCpuset.Unpinned, _sandbox.Sizing.Pins[^1]);
    }

    [Fact]
    public async Task A_container_whose_cpus_the_host_cannot_give_is_not_created()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        _sandbox.Sizing.PinFailure = new IOException("linux.resources.cpu.cpus \"40\": write cpuset.cpus: Invalid argument (the host allows 0-1 here)");
        _bundle.File("config.json", PinnedApp("40"));

        var e = await Assert.ThrowsAsync<IOException>(() => _pod.CreateAsync(Request("app1"), CancellationToken.None));

        Assert.StartsWith("linux.resources.cpu.cpus \"40\"", e.Message);
        Assert.DoesNotContain(_sandbox.Fake.Calls, c => c.StartsWith("CreateContainer app1", StringComparison.Ordinal));
        Assert.DoesNotContain(_sandbox.Sizing.Growths, g => g.Vcpus > 1); // refused before the VM grew for it
    }

    [Fact]
    public async Task An_update_that_lowers_the_limits_shrinks_the_vm_after_the_container_has_them()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        _bundle.File("config.json", LimitedApp);
        await _pod.CreateAsync(Request("app1"), CancellationToken.None);
        await _pod.StartAsync("app1", "", CancellationToken.None);

        await _pod.UpdateAsync("app1", new SandboxRt.Oci.Spec.LinuxResources { Memory = new SandboxRt.Oci.Spec.LinuxMemory { Limit = 256L << 20 } }, CancellationToken.None);
        Assert.Contains("UpdateContainer app1", _sandbox.Fake.Calls);
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512 + 256), _sandbox.Sizing.Shrinks[^1]);
        Assert.Equal(new SandboxRt.Runtime.Sandboxes.VmSize(1, 512 + 256), _sandbox.Size);
    }

    [Fact]
    public async Task A_shrink_that_fails_does_not_fail_the_delete()
    {
        await _pod.CreateAsync(Request("pod1"), CancellationToken.None);
        _bundle.File("config.json", LimitedApp);
        await _pod.CreateAsync(Request("app1"), CancellationToken.None);
        _sandbox.Sizing.ShrinkFailure = new SandboxRt.Runtime.Hypervisors.HypervisorException("QMP device_del: GenericError: test");

        await _pod.DeleteAsync("app1", "", CancellationToken.None);
        Assert.Single(_sandbox.Sizing.Shrinks);
        Assert.Contains("Delete app1", Kinds());
        Assert.Throws<TaskNotFoundException>(() => _pod.State("app1", ""));
    }
}
