// Another CLI container's sandbox, as the relay of a container that joined its network sees it
// (docker run --network container:X; the rule is Network/NetworkJoin.cs).
//
// The VM, its network and its shared directory are X's; Y only adds to them:
//   - the agent is reached through X's relay (its proxy socket: the relay holds the one-client guest
//     channel), so Y lives only as long as X's relay does. When X's container exits its relay exits too
//     (its exit is X's exit to Docker), and Y can no longer be reached: VmExited completes then, with a
//     line that says so, Y's relay stops Y in the guest over the then free channel and exits with 137.
//     The VM itself stays until `delete X`, as for any CLI container;
//   - Y's rootfs and bind sources go into X's shared directory, opened by descriptor (SharedDirectory.Open:
//     pinned, no symlink followed), under Y's own id;
//   - the VM grows by Y's limits (VmSizer through X's control socket, as `update` does): to the default
//     plus X's limits plus those of every container that joined X (JoinedSandboxSize);
//   - StopAsync, the end of a failed create, removes what Y added (its container in the guest, its files,
//     its growth) and leaves X's VM running. `delete Y` does the same from the records (Lifecycle/DeleteOperation).
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.HostCgroups;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Network;
using SandboxRt.Runtime.Processes;
using SandboxRt.Runtime.State;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.Runtime.Sandboxes;

public sealed class JoinedSandbox : IHostSandbox
{
    private readonly StateStore _store;
    private readonly HypervisorConfig _config;
    private readonly AgentClient _client;
    private readonly SharedDirectory _shared;
    private readonly VmSizer _sizer;
    private readonly PidFd _vm;
    private readonly PidFd _relay;
    private readonly ILogger _log;
    private readonly string _containerId;
    private readonly bool _canResize;
    private readonly string _driver;
    private int _stopped;

    /// <summary>How long X's VM may take to exit after its channel failed a call, for that failure to be the VM's end rather than an error.</summary>
    private static readonly TimeSpan VmExitAfterChannelBound = TimeSpan.FromSeconds(2);

    /// <summary>How long the end of X's relay may lag behind the end of the connection it served.</summary>
    private static readonly TimeSpan RelayExitBound = TimeSpan.FromSeconds(10);

    private JoinedSandbox(StateStore store, HypervisorConfig config, string sandboxId, string containerId, AgentClient client, SharedDirectory shared,
        VmSizer sizer, IHypervisorDriver driver, PidFd vm, PidFd relay, string consoleLog, ILogger log)
    {
        _canResize = driver.CanResize(config);
        _driver = driver.Name;
        _store = store;
        _config = config;
        _client = client;
        _shared = shared;
        _sizer = sizer;
        _vm = vm;
        _relay = relay;
        _log = log;
        _containerId = containerId;
        Id = sandboxId;
        Storage = new SharedDirectoryStorage(shared);
        StateDirectory = store.Directory(containerId);
        ConsoleLogPath = consoleLog;
        VmExited = Ended(sandboxId, vm, relay);
    }

    /// <summary>The id of the container whose sandbox this is (X).</summary>
    public string Id { get; }

    public IAgent Agent => _client;
    public IContainerStorage Storage { get; }
    public int VmPid => _vm.Pid;

    /// <summary>Completes when X's VM is gone, or X's relay (through which the agent is reached) exited.</summary>
    public Task<string> VmExited { get; }

    public string ConsoleLogPath { get; }

    /// <summary>The joining container's state directory (its proxy socket and OOM report live there).</summary>
    public string StateDirectory { get; }

    public IReadOnlyList<int> HelperPids => [];
    public PodNetwork? Network => null;
    public BootBreakdown? Boot => null;
    public TimeSpan BootTime => TimeSpan.Zero;
    public VmSize Size => _sizer.Size;

    /// <summary>
    /// Opens the sandbox of container <paramref name="sandboxId"/> for container <paramref name="containerId"/>
    /// (whose record already names it in JoinedSandbox). Fails, naming X, when X's relay or VM is gone.
    /// </summary>
    public static JoinedSandbox Open(StateStore store, string sandboxId, string containerId, HypervisorConfig config, ILogger log)
    {
        var directory = store.Directory(sandboxId);
        var record = store.Load(sandboxId);
        if (record.JoinedSandbox is not null)
            throw new InvalidOperationException($"container {sandboxId} runs in the sandbox of container {record.JoinedSandbox}: join that one");
        PidFd? relay = null, vm = null;
        SharedDirectory? shared = null;
        try
        {
            relay = Pin(record.Relay) ?? throw new InvalidOperationException($"container {sandboxId} is not running (its relay is gone): its network cannot be joined");
            vm = Pin(record.Hypervisor) ?? throw new InvalidOperationException($"container {sandboxId} has no running VM: its network cannot be joined");
            shared = SharedDirectory.Open(directory);
            var client = new AgentClient(new RelayProxyConnector(sandboxId, Relay.AgentEndpoints.ProxySocket(directory), record.Relay!));
            var vmm = VmmRecord.Load(directory);
            // what the VM has now: sized for X and whoever joined it before (this container's record already counts, so leave it out)
            var now = JoinedSandboxSize.For(store, sandboxId, config, except: containerId);
            var driver = HypervisorFactory.Driver(vmm.Driver);
            var sizer = new VmSizer(sandboxId, new DetachedVmHotplug(driver, vmm), client, now, log);
            return new JoinedSandbox(store, config, sandboxId, containerId, client, shared, sizer, driver, vm, relay, Path.Combine(directory, "console.log"), log);
        }
        catch
        {
            relay?.Dispose();
            vm?.Dispose();
            shared?.Dispose();
            throw;
        }
    }

    /// <summary>The size the VM needs with this container in it: X's and every joined container's limits (JoinedSandboxSize).</summary>
    public VmSize Needed() => JoinedSandboxSize.For(_store, Id, _config);

    /// <summary>Hot-plugs until the VM is at least <paramref name="target"/> (X's control socket).</summary>
    public Task GrowAsync(VmSize target, CancellationToken cancellationToken = default)
    {
        if (_canResize)
            return _sizer.GrowAsync(target, cancellationToken);
        if (!Size.Covers(target))
            _log.LogWarning("container {Id}: the VM of container {Sandbox} cannot be resized by {Driver} once booted: it stays at {Vcpus} vCPUs and {Memory} MiB, not the {WantVcpus} and {WantMemory} this container's limits add up to",
                _containerId, Id, _driver, Size.Vcpus, Size.MemoryMib, target.Vcpus, target.MemoryMib);
        return Task.CompletedTask;
    }

    public Task ShrinkAsync(VmSize target, CancellationToken cancellationToken = default) => _sizer.ShrinkAsync(target, cancellationToken);

    /// <summary>Pins X's VM through X's host cgroup (its record in X's state directory).</summary>
    public void PinHostCpus(HostCpuset cpuset) => cpuset.ApplyTo(HostCgroup.Load(_store.Directory(Id)));

    /// <summary>The host CPUs the VM runs on with this container in it: the union of X's and every joined container's (JoinedSandboxSize).</summary>
    public HostCpuset NeededCpuset() => JoinedSandboxSize.Cpuset(_store, Id);

    /// <summary>Serves the agent to later CLI calls for this container on its own proxy socket (in a socket directory of its own, as a VM's).</summary>
    public Task<IAsyncDisposable> ServeAgentAsync(string socketPath, ILogger log)
    {
        SocketDirectory.Create(StateDirectory);
        return AgentProxy.ServeAsync(_client, socketPath, log);
    }

    /// <summary>
    /// After X's relay exited under a running Y: Y's init and everything in it are killed in the guest,
    /// over the channel X's relay left free (best effort: the VM may be going too).
    /// </summary>
    public async Task KillOrphanAsync(string containerId)
    {
        // the proxy's connection can break a moment before X's relay is gone: its exit is what is awaited, bounded
        var why = await Task.WhenAny(VmExited, Task.Delay(RelayExitBound)) == VmExited
            ? await VmExited
            : $"its agent, reached through the relay of container {Id}, stopped answering";
        _log.LogWarning("container {Id}: stopped, exit status {Status}: {Why}", containerId, ProcessExit.VmDiedStatus, why);
        if (_vm.HasExited)
            return;
        try
        {
            var record = _store.Load(Id);
            using var direct = new AgentClient(Relay.AgentEndpoints.For(record, _store.Directory(Id)));
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await UnlessVmExitsAsync(direct.SignalAsync(containerId, "", Signals.SIGKILL, all: true, deadline.Token), _vm, deadline);
        }
        catch (Exception e) when (e is AgentException or IOException or OperationCanceledException or InvalidOperationException or ContainerNotFoundException)
        {
            _log.LogWarning("container {Id}: stopping it in the VM of container {Sandbox}: {Error}", containerId, Id, e.Message);
        }
    }

    /// <summary>
    /// Leaves X's VM running and removes what this container added: its container in the guest, its files
    /// in the shared directory, the growth it caused. Safe to call more than once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        try
        {
            await LeaveAsync(_store, Id, _containerId, _config, VmExited.IsCompleted ? null : _client, _log, cancellationToken);
        }
        finally
        {
            _client.Dispose();
            _shared.Dispose();
            _vm.Dispose();
            _relay.Dispose();
        }
    }

    /// <summary>
    /// Removes container <paramref name="containerId"/> from the sandbox of container <paramref name="sandboxId"/>
    /// and leaves the VM running: the container goes from the guest (by force, through <paramref name="agent"/>;
    /// skipped without one or when the VM is gone), its files from the shared directory (by descriptor), and
    /// the VM shrinks to what X and the other joined containers need and runs on the host CPUs they name.
    /// Never throws for a VM or agent that cannot answer (a warning each); nothing to do once X was deleted
    /// (its VM and directory went with it).
    /// Failed creates (StopAsync) and `delete` (Lifecycle/DeleteOperation) both go through here.
    /// </summary>
    public static async Task LeaveAsync(StateStore store, string sandboxId, string containerId, HypervisorConfig config, IAgent? agent, ILogger log,
        CancellationToken cancellationToken = default)
    {
        ContainerRecord sandbox;
        try
        {
            sandbox = store.Load(sandboxId);
        }
        catch (Exception e) when (e is ContainerNotFoundException or InvalidDataException)
        {
            return;
        }
        var directory = store.Directory(sandboxId);
        using var vm = Pin(sandbox.Hypervisor);
        bool vmAlive = vm is not null;
        if (agent is not null && vm is not null)
        {
            try
            {
                // Ends with X's VM: X's delete running alongside (podman pod stop cleans a pod's containers up
                // together) takes it down, and a call to a VM that is gone would retry its connection until
                // the deadline (a minute per container, before).
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(AgentClient.DefaultTimeout);
                if (!await UnlessVmExitsAsync(agent.RemoveContainerAsync(containerId, force: true, deadline.Token), vm, deadline))
                {
                    log.LogDebug("container {Id}: the VM of container {Sandbox} exited while the container was being removed from it", containerId, sandboxId);
                    vmAlive = false;
                }
            }
            catch (AgentException e) when (e.Kind == AgentErrorKind.NotFound)
            {
            }
            catch (Exception e) when (e is AgentException or IOException or OperationCanceledException or InvalidOperationException)
            {
                // X's delete running alongside closes the VM's channel a moment before its QEMU exits: no loss then
                var vmExited = vm.WaitExitedAsync();
                vmAlive = await Task.WhenAny(vmExited, Task.Delay(VmExitAfterChannelBound)) != vmExited;
                if (vmAlive)
                    log.LogWarning("container {Id}: removing it from the VM of container {Sandbox}: {Error}", containerId, sandboxId, e.Message);
                else
                    log.LogDebug("container {Id}: the VM of container {Sandbox} exited while the container was being removed from it: {Error}", containerId, sandboxId, e.Message);
            }
        }
        try
        {
            using var shared = SharedDirectory.Open(directory);
            shared.RemoveContainer(containerId);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or SyscallException)
        {
            log.LogDebug("container {Id}: the shared directory of container {Sandbox}: {Error}", containerId, sandboxId, e.Message);
        }
        if (!vmAlive)
            return;
        try
        {
            JoinedSandboxSize.Cpuset(store, sandboxId, except: containerId).ApplyTo(HostCgroup.Load(directory));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException)
        {
            log.LogWarning("container {Id}: pinning the VM of container {Sandbox} to the host CPUs the others name: {Error}", containerId, sandboxId, e.Message);
        }
        if (agent is null)
            return;
        try
        {
            var vmm = VmmRecord.Load(directory);
            var driver = HypervisorFactory.Driver(vmm.Driver);
            if (!driver.CanResize(config))
                return; // booted at its full size: nothing was hot-plugged that could go
            var sizer = new VmSizer(sandboxId, new DetachedVmHotplug(driver, vmm), agent, JoinedSandboxSize.For(store, sandboxId, config), log);
            await sizer.ShrinkAsync(JoinedSandboxSize.For(store, sandboxId, config, except: containerId), cancellationToken);
        }
        catch (Exception e) when (e is HypervisorException or IOException or AgentException or OperationCanceledException)
        {
            log.LogWarning("container {Id}: giving back what it added to the VM of container {Sandbox}: {Error}", containerId, sandboxId, e.Message);
        }
    }

    /// <summary>
    /// Awaits <paramref name="call"/> to X's agent unless X's VM exits first: then the call is cancelled
    /// (<paramref name="deadline"/>), its outcome dropped, and false returned. A call to a VM that is gone
    /// would retry its connection to the channel until its deadline (ConnectRetry).
    /// </summary>
    private static async Task<bool> UnlessVmExitsAsync(Task call, PidFd vm, CancellationTokenSource deadline)
    {
        var vmExited = vm.WaitExitedAsync();
        if (await Task.WhenAny(call, vmExited) != vmExited)
        {
            await call;
            return true;
        }
        deadline.Cancel();
        await call.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: its VM is gone
        return false;
    }

    private static PidFd? Pin(ProcessIdentity? process)
    {
        if (process is null || PidFd.TryOpen(process.Pid) is not { } fd)
            return null;
        if (ProcessIdentity.Of(process.Pid)?.StartTime == process.StartTime && !fd.HasExited)
            return fd;
        fd.Dispose(); // the number belongs to another process now
        return null;
    }

    private static async Task<string> Ended(string sandboxId, PidFd vm, PidFd relay)
    {
        var vmGone = vm.WaitExitedAsync();
        var first = await Task.WhenAny(vmGone, relay.WaitExitedAsync());
        return first == vmGone
            ? $"the VM of container {sandboxId}, whose network this container shares, exited"
            : $"container {sandboxId}, whose network and VM this container shares, exited: a container that joined another's network is stopped with it";
    }
}
