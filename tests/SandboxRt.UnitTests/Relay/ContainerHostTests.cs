using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;
using SandboxRt.UnitTests.Fakes;

namespace SandboxRt.UnitTests.Relay;

/// <summary>
/// The runc CLI's create (the relay's, and `run`'s) over a fake sandbox: what is recorded, in which order
/// hooks, boot and the guest are reached, what the exit does to the record, and that a failure at any
/// step after the boot leaves no VM and no proxy behind.
/// </summary>
[Trait("Tier", "unit")]
public sealed class ContainerHostTests : IDisposable
{
    private const string Id = RuncContainerSetup.Id;

    private readonly RuncContainerSetup _setup = new();
    private readonly StateStore _store;
    private readonly ContainerRecord _record;
    private readonly Spec _spec;
    private readonly FakeHostSandbox _sandbox;
    private readonly RecordingLogger _log;

    public ContainerHostTests()
    {
        (_store, _sandbox, _log) = (_setup.Store, _setup.Sandbox, _setup.Log);
        _spec = SpecLoader.LoadBundle(_setup.Bundle);
        _record = _setup.SaveCreatingRecord();
    }

    public void Dispose() => _setup.Dispose();

    private Task<ContainerHost> CreateAsync() =>
        ContainerHost.CreateAsync(_store, _record, _spec, new HypervisorConfig(), new ContainerHost.NetworkChoice(null, false), _log,
            startSandbox: _sandbox.StartAsync, cancellationToken: TestContext.Current.CancellationToken);

    private string ProxySocket => AgentEndpoints.ProxySocket(_store.Directory(Id));

    private static Hook Shell(string script) => new() { Path = "/bin/sh", Args = ["sh", "-c", script] };

    [Fact]
    public async Task A_created_container_is_recorded_with_its_relay_vm_and_guest_pid_and_its_agent_is_served_on_the_proxy_socket()
    {
        await using var host = await CreateAsync();

        var started = _sandbox.Started!;
        Assert.Equal(Id, started.Id);
        Assert.Equal(_store.Root, started.StateRoot);
        Assert.True(started.WithSharedDirectory);
        Assert.True(started.StateDirectoryExists); // the record is already in it
        Assert.NotNull(started.Launched); // a relay killed during boot still leaves the VM's pids recorded

        var saved = _store.Load(Id);
        Assert.Equal(ContainerStatus.Created, saved.Status);
        Assert.Equal(101, saved.GuestPid);
        Assert.Equal(ProcessIdentity.Of(Environment.ProcessId), saved.Relay);
        Assert.Equal(ProcessIdentity.Of(_sandbox.VmPid), saved.Hypervisor);
        Assert.Equal(ProcessIdentity.Of(_sandbox.HelperPids[0]), saved.Virtiofsd);

        Assert.Equal([$"CreateContainer {Id}"], _sandbox.Fake.Calls);
        Assert.Equal([$"attach {Id}"], _sandbox.Guest.Files.Calls);
        Assert.Equal([$"serve {ProxySocket}"], _sandbox.ProxyCalls);
        Assert.Equal(0, _sandbox.Vm.Stops);
        Assert.Same(_sandbox, host.Sandbox);
    }

    /// <summary>Under QEMU (q35) the VM boots at the default and the limits are hot-plugged, before the container exists: `update` can give them back.</summary>
    [Fact]
    public async Task A_container_with_limits_boots_its_vm_at_the_default_and_grows_it_by_them_first()
    {
        _setup.WriteConfig(""","linux":{"resources":{"memory":{"limit":268435456},"cpu":{"quota":100000,"period":100000}}}""");
        var config = new HypervisorConfig { DefaultVcpus = 1, DefaultMemoryMib = 512, DefaultMaxvcpus = 1, DefaultMaxmemoryMib = 4096 };
        await using var host = await ContainerHost.CreateAsync(_store, _record, SpecLoader.LoadBundle(_setup.Bundle), config, new ContainerHost.NetworkChoice(null, false), _log,
            startSandbox: _sandbox.StartAsync, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal((1, 512), (_sandbox.Started!.Vcpus, _sandbox.Started.MemoryMib));
        Assert.Equal([new SandboxRt.Runtime.Sandboxes.VmSize(1, 768)], _sandbox.Guest.Sizing.Growths); // default_maxvcpus caps the CPU
        Assert.Equal([$"CreateContainer {Id}"], _sandbox.Fake.Calls);
    }

    /// <summary>--cpuset-cpus: the VM starts pinned (its host cgroup, before the boot) and is pinned again before it grows by the CPUs named; a refusal stops it before any growth and without a console dump.</summary>
    [Fact]
    public async Task A_container_with_host_cpus_starts_its_vm_pinned_to_them_and_a_refusal_stops_the_vm()
    {
        _setup.WriteConfig(""","linux":{"resources":{"cpu":{"cpus":"1-2","mems":"0"}}}""");
        await using (var host = await ContainerHost.CreateAsync(_store, _record, SpecLoader.LoadBundle(_setup.Bundle), new HypervisorConfig(), new ContainerHost.NetworkChoice(null, false), _log,
            startSandbox: _sandbox.StartAsync, cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Equal(new SandboxRt.Runtime.HostCgroups.HostCpuset("1-2", "0"), _sandbox.Started!.HostCpuset);
            Assert.Equal([new SandboxRt.Runtime.HostCgroups.HostCpuset("1-2", "0")], _sandbox.Guest.Sizing.Pins);
            // no quota: the VM grows by the two CPUs it names (capped by the host's)
            Assert.Equal(Math.Min(3, Environment.ProcessorCount), Assert.Single(_sandbox.Guest.Sizing.Growths).Vcpus);
        }

        _sandbox.Guest.Sizing.PinFailure = new IOException("linux.resources.cpu.cpus \"1-2\": the host cgroup refuses it");
        var e = await Assert.ThrowsAsync<IOException>(() => ContainerHost.CreateAsync(_store, _setup.SaveCreatingRecord(), SpecLoader.LoadBundle(_setup.Bundle), new HypervisorConfig(),
            new ContainerHost.NetworkChoice(null, false), _log, startSandbox: _sandbox.StartAsync, cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith("linux.resources.cpu.cpus", e.Message);
        Assert.Single(_sandbox.Guest.Sizing.Growths); // the first create's: the refused one never grew the VM
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.DoesNotContain(_log.At(LogLevel.Error), l => l.Contains("guest console"));
    }

    [Fact]
    public async Task The_exit_status_reaches_the_record_and_the_vm_outlives_the_host_until_delete()
    {
        var host = await CreateAsync();
        _sandbox.Fake.Exit(Id, "", 3);

        var exit = await host.Container.WaitAsync("", _log, TestContext.Current.CancellationToken);
        await host.DisposeAsync();
        host.RecordExit(exit);

        Assert.Equal(3, exit.Status);
        var saved = _store.Load(Id);
        Assert.Equal(ContainerStatus.Stopped, saved.Status);
        Assert.Equal(3, saved.ExitStatus);
        Assert.False(saved.OomKilled);
        Assert.Equal([$"serve {ProxySocket}", "stop"], _sandbox.ProxyCalls);
        Assert.True(_sandbox.Fake.Disposed);
        Assert.Equal(0, _sandbox.Vm.Stops); // delete stops it, from the record
        Assert.Empty(_log.At(LogLevel.Warning));
    }

    [Fact]
    public async Task A_guest_oom_kill_reaches_the_record_and_the_log()
    {
        await using var host = await CreateAsync();
        _sandbox.Fake.Exit(Id, "", 137, oom: true);

        host.RecordExit(await host.Container.WaitAsync("", _log, TestContext.Current.CancellationToken));

        var saved = _store.Load(Id);
        Assert.True(saved.OomKilled);
        Assert.Equal(137, saved.ExitStatus);
        Assert.Equal(ContainerStatus.Stopped, saved.Status);
        Assert.Equal([$"container {Id} was killed by the out-of-memory killer"], _log.At(LogLevel.Warning));
    }

    [Fact]
    public async Task An_exit_after_delete_removed_the_record_does_not_bring_it_back()
    {
        await using var host = await CreateAsync();
        Runtime.Storage.PrivateFiles.RemoveTree(_store.Directory(Id));

        host.RecordExit(new ProcessExit(0, false, DateTime.UtcNow));

        Assert.False(_store.Exists(Id));
    }

    [Fact]
    public async Task A_create_the_guest_refuses_stops_the_vm_and_the_proxy_and_removes_the_containers_files()
    {
        _sandbox.Fake.Failures["CreateContainer"] = new AgentException(AgentErrorKind.InvalidArgument, "CreateContainer", "process.args: empty");

        var e = await Assert.ThrowsAsync<AgentException>(CreateAsync);

        Assert.Equal("process.args: empty", e.Message);
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Equal([$"serve {ProxySocket}", "stop"], _sandbox.ProxyCalls);
        Assert.Equal([$"attach {Id}", $"detach {Id}"], _sandbox.Guest.Files.Calls);
        Assert.Contains(_log.At(LogLevel.Error), l => l.StartsWith($"container {Id}: create failed; the guest console's last lines:"));
        Assert.Equal(ContainerStatus.Creating, _store.Load(Id).Status); // the record is the caller's to remove
    }

    [Fact]
    public async Task A_vm_that_dies_during_create_fails_it_and_is_stopped()
    {
        _sandbox.Fake.HoldCreate = new TaskCompletionSource();
        var create = CreateAsync();
        await _sandbox.Fake.WhenCalled("CreateContainer").WaitAsync(RuncContainerSetup.Hang, TestContext.Current.CancellationToken);

        _sandbox.Vm.Die("qemu killed by signal 9");

        var e = await Assert.ThrowsAsync<HypervisorException>(() => create);
        Assert.Equal("the VM stopped during create: qemu killed by signal 9", e.Message);
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Equal([$"serve {ProxySocket}", "stop"], _sandbox.ProxyCalls);
        Assert.Equal([$"attach {Id}", $"detach {Id}"], _sandbox.Guest.Files.Calls);
    }

    [Fact]
    public async Task A_failing_create_runtime_hook_stops_the_booted_vm_before_the_guest_is_asked()
    {
        _spec.Hooks = new Hooks { CreateRuntime = [Shell("exit 3")] };

        var e = await Assert.ThrowsAsync<HookFailedException>(CreateAsync);

        Assert.StartsWith("hooks.createRuntime[0]", e.Message);
        Assert.NotNull(_sandbox.Started);
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Equal([$"serve {ProxySocket}", "stop"], _sandbox.ProxyCalls);
        Assert.Empty(_sandbox.Fake.Calls);
        Assert.Empty(_sandbox.Guest.Files.Calls);
    }

    [Fact]
    public async Task Prestart_hooks_run_before_the_vm_boots_and_one_that_fails_boots_none()
    {
        var mark = Path.Combine(_setup.Scratch.Path, "prestart-ran");
        var seenAtBoot = false;
        _sandbox.OnStart = () => seenAtBoot = File.Exists(mark);
        _spec.Hooks = new Hooks { Prestart = [Shell($"touch {mark}")] };
        await using (await CreateAsync())
            Assert.True(seenAtBoot, "the prestart hook had not run when the sandbox started");

        var failing = new FakeHostSandbox();
        _spec.Hooks = new Hooks { Prestart = [Shell("exit 1")] };
        await Assert.ThrowsAsync<HookFailedException>(() =>
            ContainerHost.CreateAsync(_store, _record, _spec, new HypervisorConfig(), new ContainerHost.NetworkChoice(null, false), _log,
                startSandbox: failing.StartAsync, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Null(failing.Started);
        Assert.Empty(failing.ProxyCalls);
    }
    /// <summary>
    /// A VM that takes NICs after its start (the default configuration: a q35 template clone) boots beside the
    /// prestart hooks, which still configure its network namespace, and is given their end to plug the NICs
    /// after (SandboxStartOptions.NetworkSettled); create returns only once they have ended. The hook here
    /// waits until the sandbox has started: were the start after it, the hook would give up and fail.
    /// </summary>
    [Fact]
    public async Task With_a_network_namespace_the_vm_starts_beside_the_prestart_hooks_and_create_waits_for_their_end()
    {
        var started = Path.Combine(_setup.Scratch.Path, "sandbox-started");
        var ended = Path.Combine(_setup.Scratch.Path, "hook-ended");
        var endedAtStart = true;
        _sandbox.OnStart = () =>
        {
            endedAtStart = File.Exists(ended);
            File.WriteAllText(started, "");
        };
        _spec.Hooks = new Hooks { Prestart = [Shell(WaitFor(started) + $" && touch {ended}")] };

        await using (await CreateInNamespaceAsync(new HypervisorConfig()))
        {
            Assert.False(endedAtStart, "the prestart hook had ended when the sandbox started");
            Assert.NotNull(_sandbox.Started!.NetworkSettled);
            Assert.Equal("/var/run/netns/srt-pod", _sandbox.Started.NetworkNamespace);
            Assert.True(File.Exists(ended), "create returned before the prestart hook ended");
        }
    }

    [Fact]
    public async Task A_prestart_hook_failing_beside_the_vms_start_stops_the_vm_before_the_guest_is_asked()
    {
        _spec.Hooks = new Hooks { Prestart = [Shell("exit 4")] };

        var e = await Assert.ThrowsAsync<HookFailedException>(() => CreateInNamespaceAsync(new HypervisorConfig()));

        Assert.StartsWith("hooks.prestart[0]", e.Message);
        Assert.Equal(1, _sandbox.Vm.Stops);
        Assert.Empty(_sandbox.ProxyCalls);
        Assert.Empty(_sandbox.Fake.Calls);
    }

    /// <summary>With VM templates off every VM boots cold and takes its NICs on its command line: the hooks end before it starts.</summary>
    [Fact]
    public async Task Without_vm_templates_the_prestart_hooks_end_before_the_vm_starts_in_the_namespace()
    {
        var ended = Path.Combine(_setup.Scratch.Path, "hook-ended");
        var endedAtStart = false;
        _sandbox.OnStart = () => endedAtStart = File.Exists(ended);
        _spec.Hooks = new Hooks { Prestart = [Shell($"touch {ended}")] };

        await using (await CreateInNamespaceAsync(new HypervisorConfig { Qemu = { VmTemplate = false } }))
        {
            Assert.True(endedAtStart, "the prestart hook had not ended when the sandbox started");
            Assert.Null(_sandbox.Started!.NetworkSettled);
        }
    }

    private Task<ContainerHost> CreateInNamespaceAsync(HypervisorConfig config) =>
        ContainerHost.CreateAsync(_store, _record, _spec, config, new ContainerHost.NetworkChoice("/var/run/netns/srt-pod", false), _log,
            startSandbox: _sandbox.StartAsync, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A shell condition that holds once <paramref name="path"/> exists, given up after 30 s.</summary>
    private static string WaitFor(string path) =>
        $"i=0; while [ ! -e {path} ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done; [ -e {path} ]";
}
