using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// A running QEMU: stopped through QMP "quit", then SIGKILL after the grace period (the lifecycle is
/// <see cref="VmmProcess"/>'s). Its exit counts once its console and output have reached the logs, so a
/// boot error quotes QEMU's last words. Once it is gone, its jail user is free again. Under TCG it never
/// unplugs a vCPU (<see cref="QemuHotplug.ShrinkAsync"/> says why).
/// </summary>
internal sealed class QemuVirtualMachine(ChildProcess process, long launchedTimestamp, QemuStateFiles files, IAgentConnector connector, TimeSpan grace,
        VirtiofsDaemon? virtiofsd, SharedFsPlan? sharedFs, Task logs, bool unplugsCpus)
    : VmmVirtualMachine(Lifecycle(process, files, grace, virtiofsd, logs), launchedTimestamp, files.ConsoleLog, files.HypervisorLog, connector, sharedFs), IVmNicHotplug
{
    private readonly SemaphoreSlim _plugging = new(1, 1);
    private int _nics;
    /// <summary>
    /// Ports NICs plugged by <see cref="AddNicsAsync"/> hold, by device id; an unplug frees its port for the next NIC.
    /// A NIC the VM got at its restore keeps its port when unplugged (not known here; the next ones follow it).
    /// </summary>
    private readonly Dictionary<string, int> _nicPorts = [];
    private readonly SortedSet<int> _freedPorts = [];
    private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(2);

    private static VmmProcess Lifecycle(ChildProcess process, QemuStateFiles files, TimeSpan grace, VirtiofsDaemon? virtiofsd, Task logs) =>
        new("QEMU", process, virtiofsd, logs, grace,
            cancellationToken => QuitAsync(files.QmpSocket, cancellationToken), () =>
            {
                if (process.HasExited)
                    JailUserPool.ReleaseRecorded(files.JailUser);
                files.RemoveAll();
            });

    internal string QmpSocket => files.QmpSocket;

    /// <summary>The first PCIe root port no device uses (a q35 clone: after its share and NICs); null when the VM has none to hot-plug into.</summary>
    internal int? FreeHotplugPort { get; set; }

    public bool CanAddNics => FreeHotplugPort is { } port && (port < QemuCommandLine.HotplugPorts || _freedPorts.Count > 0);

    /// <summary>NICs the VM started with (their netdevs are net0..), so that hot-plugged ones follow them.</summary>
    internal int BootNics
    {
        init => _nics = value;
    }

    public async Task AddNicsAsync(IReadOnlyList<NetworkDevicePlan> nics, CancellationToken cancellationToken = default)
    {
        if (nics.Count == 0)
            return;
        await _plugging.WaitAsync(cancellationToken);
        try
        {
            if (FreeHotplugPort is not { } next)
                throw new HypervisorException("this VM has no PCIe root port to plug a NIC into (only a q35 clone of a VM template has them)");
            int free = QemuCommandLine.HotplugPorts - next + _freedPorts.Count;
            if (nics.Count > free)
                throw new HypervisorException($"{nics.Count} NIC(s) need as many hot-plug ports; the VM has {free} free (of {QemuCommandLine.HotplugPorts})");
            await using var qmp = await QmpClient.ConnectAsync(files.QmpSocket, cancellationToken);
            foreach (var nic in nics)
            {
                int i = _nics;
                int port = _freedPorts.Count > 0 ? _freedPorts.Min : next;
                await qmp.SendDescriptorAsync($"tap{i}", nic.Tap, cancellationToken);
                await qmp.ExecuteAsync("netdev_add", new System.Text.Json.Nodes.JsonObject { ["type"] = "tap", ["id"] = $"net{i}", ["fd"] = $"tap{i}" }, cancellationToken);
                await qmp.ExecuteAsync("device_add", new System.Text.Json.Nodes.JsonObject
                {
                    ["driver"] = "virtio-net-pci",
                    ["id"] = NicId(i),
                    ["netdev"] = $"net{i}",
                    ["mac"] = global::SandboxRt.Agent.Protocol.NetworkText.FormatMac(nic.Mac),
                    ["host_mtu"] = nic.Mtu, // a number: QEMU 8.2 and later refuse a string here
                    ["bus"] = QemuCommandLine.PortName(port),
                }, cancellationToken);
                if (!_freedPorts.Remove(port))
                    FreeHotplugPort = next = port + 1;
                _nicPorts[NicId(i)] = port;
                _nics++;
            }
        }
        finally
        {
            _plugging.Release();
        }
    }

    public async Task RemoveNicAsync(byte[] mac, CancellationToken cancellationToken = default)
    {
        var wanted = global::SandboxRt.Agent.Protocol.NetworkText.FormatMac(mac);
        await _plugging.WaitAsync(cancellationToken);
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(files.QmpSocket, cancellationToken);
            // every NIC the VM got (its command line's or its restore's, then AddNicsAsync's) is sandboxrt-nicN on netdev netN
            for (int i = 0; i < _nics; i++)
            {
                System.Text.Json.Nodes.JsonNode? got;
                try
                {
                    got = await qmp.ExecuteAsync("qom-get", new System.Text.Json.Nodes.JsonObject { ["path"] = "/machine/peripheral/" + NicId(i), ["property"] = "mac" }, cancellationToken);
                }
                catch (HypervisorException)
                {
                    continue; // unplugged before
                }
                if (!string.Equals((string?)got, wanted, StringComparison.OrdinalIgnoreCase))
                    continue;
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bound.CancelAfter(QemuHotplug.ShrinkBound);
                if (await QemuHotplug.UnplugAsync(qmp, NicId(i), bound.Token) is { } kept)
                    throw new HypervisorException($"NIC {wanted} stays plugged: {kept}");
                await qmp.ExecuteAsync("netdev_del", new System.Text.Json.Nodes.JsonObject { ["id"] = $"net{i}" }, cancellationToken);
                if (_nicPorts.Remove(NicId(i), out int port))
                    _freedPorts.Add(port);
                return;
            }
            throw new HypervisorException($"the VM has no NIC with MAC {wanted}");
        }
        finally
        {
            _plugging.Release();
        }
    }

    private static string NicId(int i) => $"sandboxrt-nic{i}";

    public async Task WithScratchNicAsync(byte[] mac, Func<Task> whilePlugged, CancellationToken cancellationToken = default)
    {
        await _plugging.WaitAsync(cancellationToken);
        try
        {
            if (FreeHotplugPort is not { } port || port >= QemuCommandLine.HotplugPorts)
                throw new HypervisorException("this VM has no free PCIe root port to plug a NIC into");
            await using var qmp = await QmpClient.ConnectAsync(files.QmpSocket, cancellationToken);
            FreeHotplugPort = port + 1; // taken until the guest lets the NIC go
            if (await QemuHotplug.WithScratchNicAsync(qmp, QemuCommandLine.PortName(port), mac, whilePlugged, cancellationToken) is { } kept)
                throw new HypervisorException($"the warm-up NIC stays plugged: {kept}");
            FreeHotplugPort = port;
        }
        finally
        {
            _plugging.Release();
        }
    }

    public override async Task<(int Vcpus, int MemoryMib)> GrowAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default)
    {
        await using var qmp = await QmpClient.ConnectAsync(files.QmpSocket, cancellationToken);
        return await QemuHotplug.GrowAsync(qmp, vcpus, memoryMib, cancellationToken);
    }

    public override Task<(int Vcpus, int MemoryMib, IReadOnlyList<string> Kept)> ShrinkAsync(int vcpus, int memoryMib, CancellationToken cancellationToken = default) =>
        QemuHotplug.ShrinkAsync(files.QmpSocket, vcpus, memoryMib, unplugsCpus, QemuHotplug.ShrinkBound, cancellationToken);

    private static async Task QuitAsync(string qmpSocket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(QmpTimeout);
        try
        {
            await using var qmp = await QmpClient.ConnectAsync(qmpSocket, timeout.Token);
            await qmp.ExecuteAsync("quit", cancellationToken: timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HypervisorException or System.Net.Sockets.SocketException)
        {
            // QEMU is wedged or already going: the grace period and SIGKILL take over.
        }
    }
}
