using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Hypervisors.SharedFs;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>
/// Launches a VM with Cloud Hypervisor: the VMM starts empty with only --api-socket, and everything else
/// goes through its REST API, in the order the API allows cold devices: vmm.ping (the socket answers),
/// vm.create (payload, vCPUs and memory with room to grow, serial console into console.log, hybrid vsock,
/// the agent token as an SMBIOS OEM string), vm.add-fs (virtiofsd, listening on a socket in the root-only
/// socket directory), vm.add-net per NIC (its tap
/// descriptor sent beside the request, see ClhDescriptorRequest), vm.boot.
/// Devices are added before boot, so the guest needs no PCI hotplug. The agent is reached through hybrid
/// vsock (CONNECT port on the vsock socket). Cloud Hypervisor has no TCG: it needs KVM, and reports
/// itself when /dev/kvm is missing (vm.create or vm.boot fail with its message).
///
/// The agent token: Cloud Hypervisor has no firmware configuration device like QEMU's -fw_cfg, so the
/// token travels in vm.create's body (over the API socket, in the root-only socket directory; never in
/// the VMM's argv, which every host user can read) as an SMBIOS OEM string, which the guest kernel shows
/// root-only at /sys/firmware/dmi/tables/DMI. Resizing is vm.resize (ClhResize).
/// What it does not do yet: bound console.log, and jail the VMM beyond the pod's cgroup.
/// None of this has run against a real Cloud Hypervisor: it needs KVM, which these machines lack.
/// </summary>
internal sealed class ClhHypervisor : IHypervisor
{
    /// <summary>The guest port the agent listens on (sandboxrt.port).</summary>
    public const uint AgentPort = 1024;

    private readonly HypervisorConfig _config;

    public ClhHypervisor(HypervisorConfig config)
    {
        _config = config;
        if (config.Accelerator == "tcg")
            throw new HypervisorException("accelerator=tcg: Cloud Hypervisor runs on KVM only (use hypervisor qemu for TCG)");
        if (config.SharedFs == SharedFsPlan.Virtio9p)
            throw new HypervisorException("shared_fs=virtio-9p: Cloud Hypervisor has no 9p server (use virtio-fs or none)");
        var (usable, reason) = AcceleratorProbe.ProbeKvm();
        Capabilities = new HypervisorCapabilities("clh", new AcceleratorChoice("kvm", usable, reason), HasVhostVsock: false, GuestChannel: "hybrid-vsock");
    }

    public HypervisorCapabilities Capabilities { get; }

    public async Task<IVirtualMachine> LaunchAsync(VmLaunchRequest request, CancellationToken cancellationToken = default)
    {
        var clh = _config.CloudHypervisor;
        var initrd = request.InitrdOverride ?? _config.Initrd;
        RequireFile(clh.Path, "cloud_hypervisor.path", "the cloud-hypervisor binary (not packaged by Debian)");
        RequireFile(_config.Kernel, "kernel", "the guest kernel (make guest-image builds it)");
        // the root image unless the sandbox asked for an initrd of its own (as QemuGuestRoot decides for QEMU)
        var image = request.InitrdOverride is null && UsesImage(_config) ? GuestRootImage.Open(_config.Image) : null;
        if (image is null)
            RequireFile(initrd, "initrd", "the guest initramfs (make guest-image builds it)");
        // No fw_cfg here: the token goes into the guest's SMBIOS OEM strings (vm.create's platform.oem_strings),
        // where the agent looks when fw_cfg has none (its Boot/AgentTokenSource.cs).
        string? tokenString = request.AgentTokenFile is { } tokenFile ? Channels.AgentToken.LoadFile(tokenFile).OemString() : null;
        string? jailer = null;
        if (_config.Jail)
        {
            jailer = _config.JailerBinary();
            RequireFile(jailer, "jailer_path", "sandboxrt-jailer (make build puts it beside sandboxrt)");
        }

        Storage.PrivateFiles.CreateDirectory(request.StateDirectory);
        var files = new ClhStateFiles(request.StateDirectory);
        files.RemoveAll();
        files.CreateSocketDirectory();
        VirtiofsDaemon? virtiofsd = null;
        ChildProcess? process = null;
        try
        {
            SharedFsPlan? sharedFs = null;
            if (request.SharedDirectory is { } shared && _config.SharedFs == SharedFsPlan.VirtioFs)
            {
                if (!File.Exists(_config.VirtiofsdPath))
                    throw new HypervisorException($"shared_fs: virtio-fs needs virtiofsd, but virtiofsd_path {_config.VirtiofsdPath} does not exist");
                virtiofsd = VirtiofsDaemon.StartListening(_config.VirtiofsdPath, shared, request.SharedDirectoryNamespace, _config.VirtiofsdCacheOption(), files.VirtiofsdSocket, files.VirtiofsdLog, clh.LogMaxBytes, jailer, request.Cgroups);
                sharedFs = new SharedFsPlan(SharedFsPlan.VirtioFs, shared);
            }
            new VmmRecord
            {
                Driver = "clh",
                ControlSocket = files.ApiSocket,
                AgentChannelKind = "hybrid-vsock",
                AgentSocket = files.VsockSocket,
                AgentPort = AgentPort,
            }.Save(request.StateDirectory);

            List<string> argv = [clh.Path, "--api-socket", $"path={files.ApiSocket}", .. _config.Debug ? new[] { "-v" } : []];
            if (jailer is not null)
                argv = JailerCommand.Build(jailer, new JailSpec { Cgroups = request.Cgroups }, argv);
            Storage.PrivateFiles.WriteAllText(files.CommandLine, string.Join('\n', argv) + "\n");
            var (output, outputPump) = LogPump.StartPipe(files.HypervisorLog, clh.LogMaxBytes, "cloud-hypervisor's output");
            long launched;
            using (output)
            using (var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
            {
                launched = System.Diagnostics.Stopwatch.GetTimestamp();
                process = ChildProcess.Start(new SpawnOptions
                {
                    Path = argv[0],
                    Arguments = argv,
                    Environment = HelperEnvironment.Variables,
                    Descriptors = [(devNull, 0), (output, 1), (output, 2)],
                    NewSession = true,
                    WorkingDirectory = "/",
                }, "cloud-hypervisor");
            }

            var timeout = TimeSpan.FromSeconds(clh.ApiTimeoutSeconds);
            using (var api = new ClhApiClient(files.ApiSocket, timeout))
            {
                await ClhApiReady.WaitAsync(api, process, timeout, cancellationToken);
                var plan = new ClhLaunchPlan(_config.Kernel, image is null ? initrd : "", KernelParams(image), request.Vcpus, request.MemoryMib,
                    SharedMemory: sharedFs is not null, files.ConsoleLog, clh.GuestCid, files.VsockSocket)
                {
                    RootImage = image,
                    MaxVcpus = Math.Max(request.Vcpus, request.MaxVcpus),
                    HotplugMib = Math.Max(0, request.MaxMemoryMib - request.MemoryMib) / 128 * 128,
                    OemStrings = tokenString is null ? [] : [tokenString],
                };
                await api.PutAsync("vm.create", ClhRequests.VmConfig(plan), cancellationToken);
                if (sharedFs is not null)
                    await api.PutAsync("vm.add-fs", ClhRequests.Fs(files.VirtiofsdSocket), cancellationToken);
                for (int i = 0; i < request.NetworkDevices.Count; i++)
                {
                    var nic = request.NetworkDevices[i];
                    await ClhDescriptorRequest.PutAsync(files.ApiSocket, "vm.add-net", ClhRequests.Net(i, nic.Mac, nic.Mtu), [nic.Tap], timeout, cancellationToken);
                }
                await api.PutAsync("vm.boot", cancellationToken: cancellationToken);
            }
            var connector = new Channels.HybridVsockConnector(files.VsockSocket, AgentPort);
            return new ClhVirtualMachine(process, launched, files, connector, TimeSpan.FromSeconds(_config.ShutdownGraceSeconds), timeout,
                virtiofsd, sharedFs, outputPump, request.Vcpus, request.MemoryMib);
        }
        catch
        {
            if (process is not null)
            {
                process.Signal(Signals.SIGKILL);
                await process.Exited;
            }
            if (virtiofsd is not null)
                await virtiofsd.StopAsync();
            files.RemoveAll();
            VmmRecord.Remove(request.StateDirectory);
            throw;
        }
    }

    /// <summary>Whether <paramref name="config"/> boots its root image (named: Cloud Hypervisor always takes a pmem device), else its initrd.</summary>
    internal static bool UsesImage(HypervisorConfig config) => config.Image.Length > 0;

    /// <summary>The configured kernel parameters plus the agent's own (hybrid vsock is an ordinary virtio-vsock device to the guest), and the root image's.</summary>
    private string KernelParams(GuestRootImage? image)
    {
        var parts = new List<string> { _config.KernelParams.Trim(), "sandboxrt.channel=vsock", $"sandboxrt.port={AgentPort}" };
        if (image is not null)
            parts.Add(GuestRootImage.KernelParams);
        if (_config.Debug)
            parts.Add("sandboxrt.debug=1");
        return string.Join(' ', parts.Where(p => p.Length > 0));
    }

    private static void RequireFile(string path, string field, string what)
    {
        if (!File.Exists(path))
            throw new HypervisorException($"{field}: {path} does not exist ({what})");
    }
}
