using SandboxRt.Interop;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// The QEMU driver. A VM is a QEMU process in its own session whose stdio goes to qemu.log in the
/// sandbox's state directory, with the guest console in console.log, a QMP socket, and the agent
/// channel: vhost-vsock when /dev/vhost-vsock opens (the CID is reserved on a descriptor QEMU
/// inherits), otherwise a virtio-serial port behind a chardev socket.
/// </summary>
public sealed class QemuHypervisor : IHypervisor
{
    private const int VhostFdInChild = 3;
    /// <summary>Tap descriptors are numbered from here in QEMU.</summary>
    private const int FirstTapFdInChild = 10;
    private readonly HypervisorConfig _config;

    public QemuHypervisor(HypervisorConfig config)
    {
        _config = config;
        var accelerator = AcceleratorProbe.Choose(config.Accelerator);
        bool vhostVsock = File.Exists(VhostVsock.DevicePath);
        var channel = config.GuestChannel switch
        {
            "vsock" when !vhostVsock => throw new HypervisorException($"guest_channel=vsock is configured, but {VhostVsock.DevicePath} does not exist (load vhost_vsock)"),
            "vsock" => "vsock",
            "serial" => "serial",
            _ => vhostVsock ? "vsock" : "serial",
        };
        Capabilities = new HypervisorCapabilities("qemu", accelerator, vhostVsock, channel);
    }

    public HypervisorCapabilities Capabilities { get; }

    public async Task<IVirtualMachine> LaunchAsync(VmLaunchRequest request, CancellationToken cancellationToken = default)
    {
        var initrd = request.InitrdOverride ?? _config.Initrd;
        RequireFile(_config.Path, "path", "the QEMU binary (apt-get install qemu-system-x86)");
        RequireFile(_config.Kernel, "kernel", "the guest kernel (make guest-image builds it)");
        RequireFile(initrd, "initrd", "the guest initramfs (make guest-image builds it)");

        Storage.PrivateFiles.CreateDirectory(request.StateDirectory);
        var files = new QemuStateFiles(request.StateDirectory);
        files.RemoveAll();
        files.CreateSocketDirectory();
        SafeFdHandle? vhost = null;
        VirtiofsDaemon? virtiofsd = null;
        try
        {
            SharedFsPlan? sharedFs = null;
            if (request.SharedDirectory is { } shared && _config.SharedFs != "none")
            {
                // Only what shared_fs says, never a silent fall back: 9p is a different security model.
                if (_config.SharedFs == SharedFsPlan.VirtioFs)
                {
                    if (!File.Exists(_config.VirtiofsdPath))
                        throw new HypervisorException($"shared_fs: virtio-fs needs virtiofsd, but virtiofsd_path {_config.VirtiofsdPath} does not exist (apt-get install qemu-system-x86, or set shared_fs to virtio-9p)");
                    virtiofsd = await VirtiofsDaemon.StartAsync(_config.VirtiofsdPath, shared, files.VirtiofsdSocket, files.VirtiofsdLog, cancellationToken);
                    sharedFs = new SharedFsPlan(SharedFsPlan.VirtioFs, shared, files.VirtiofsdSocket);
                }
                else
                {
                    sharedFs = new SharedFsPlan(SharedFsPlan.Virtio9p, shared);
                }
            }
            GuestChannelPlan channel;
            if (Capabilities.GuestChannel == "vsock")
            {
                vhost = VhostVsock.ReserveCid(CidCandidates(), out uint cid);
                channel = GuestChannelPlan.Vsock(cid, VhostFdInChild);
            }
            else
            {
                channel = GuestChannelPlan.Serial(files.AgentSocket);
            }
            var plan = new QemuLaunchPlan(request.Id, _config, Capabilities.Accelerator, request.Vcpus, request.MemoryMib,
                initrd, files.ConsoleLog, files.QmpSocket, channel, sharedFs, HostCpu.TscKhz())
            {
                Nics = request.NetworkDevices.Select((d, i) => (FirstTapFdInChild + i, d.Mac, d.Mtu)).ToList(),
                AgentTokenFile = request.AgentTokenFile,
            };
            var args = QemuCommandLine.Build(plan);
            Storage.PrivateFiles.WriteAllText(files.CommandLine, string.Join('\n', args.Prepend(_config.Path)) + "\n");
            Storage.PrivateFiles.WriteAllBytes(files.ConsoleLog, []); // QEMU truncates it, keeping the mode

            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            using var log = Storage.PrivateFiles.OpenHandle(files.HypervisorLog, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
            var descriptors = new List<(System.Runtime.InteropServices.SafeHandle, int)> { (devNull, 0), (log, 1), (log, 2) };
            if (vhost is not null)
                descriptors.Add((vhost, VhostFdInChild));
            for (int i = 0; i < request.NetworkDevices.Count; i++)
                descriptors.Add((request.NetworkDevices[i].Tap, FirstTapFdInChild + i));
            long launched = System.Diagnostics.Stopwatch.GetTimestamp();
            var process = ChildProcess.Start(new SpawnOptions
            {
                Path = _config.Path,
                Arguments = args.Prepend(_config.Path).ToList(),
                Descriptors = descriptors,
                NewSession = true,
                WorkingDirectory = request.StateDirectory,
            }, "qemu");
            if (Capabilities.Accelerator.IsTcg && _config.TcgNice != 0)
            {
                try
                {
                    ChildProcesses.SetNice(process.Pid, _config.TcgNice);
                }
                catch (SyscallException)
                {
                    // lowering priority cannot fail for root; if it does, the VM just runs at normal priority
                }
            }
            IAgentConnector connector = channel.Kind == "vsock"
                ? new VsockConnector(channel.VsockCid, GuestChannelPlan.AgentVsockPort)
                : new SerialChannelConnector(files.AgentSocket);
            return new QemuVirtualMachine(process, launched, files, connector, TimeSpan.FromSeconds(_config.ShutdownGraceSeconds), virtiofsd, sharedFs);
        }
        catch
        {
            if (virtiofsd is not null)
                await virtiofsd.StopAsync();
            files.RemoveAll();
            throw;
        }
        finally
        {
            vhost?.Dispose(); // QEMU holds its own copy
        }
    }

    private static void RequireFile(string path, string field, string what)
    {
        if (!File.Exists(path))
            throw new HypervisorException($"{field}: {path} does not exist ({what})");
    }

    /// <summary>Guest CIDs to try: 3 and up are free for guests (0-2 are reserved), spread by pid to avoid collisions.</summary>
    private static IEnumerable<uint> CidCandidates()
    {
        uint start = 3 + (uint)(Environment.ProcessId % 100_000) * 16;
        for (uint i = 0; i < 4096; i++)
            yield return start + i;
    }
}
