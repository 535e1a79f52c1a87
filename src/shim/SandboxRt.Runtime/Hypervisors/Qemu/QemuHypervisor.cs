using SandboxRt.Interop;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Diagnostics;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Processes;

using SandboxRt.Runtime.Hypervisors.SharedFs;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// The QEMU driver. A VM is a QEMU process in its own session, started through sandboxrt-jailer (the
/// pod's host cgroup, a root of its own, a per-sandbox user: see QemuJail and the jailer's design
/// comment), which opens nothing of the host's state by path: the host makes the QMP and agent-serial
/// listening sockets, the console socket pair, the pipe for QEMU's own output, virtiofsd's connection,
/// the taps and the vhost-vsock descriptor, and QEMU inherits exactly those. The host process that owns
/// the VM copies the console and QEMU's output into bounded logs (console.log, qemu.log, each with a .1).
/// The agent channel is vhost-vsock when /dev/vhost-vsock opens (the CID is reserved on the descriptor
/// QEMU inherits), otherwise a virtio-serial port.
/// With qemu.vm_template (the default) a launch restores a clone of the template for its shape instead
/// of booting (Templates/QemuTemplates says how, and when it falls back to the cold boot made here).
/// </summary>
public sealed class QemuHypervisor : IHypervisor
{
    /// <summary>QEMU's environment: nothing of the caller's (it may carry secrets, and the relay's arguments).</summary>
    internal static IReadOnlyList<string> ChildEnvironment => HelperEnvironment.Variables;
    private readonly HypervisorConfig _config;

    public QemuHypervisor(HypervisorConfig config)
    {
        _config = config;
        var accelerator = AcceleratorProbe.Choose(config.Accelerator);
        bool vhostVsock = File.Exists(VhostVsock.DevicePath);
        var channel = config.Qemu.GuestChannel switch
        {
            "vsock" when !vhostVsock => throw new HypervisorException($"guest_channel=vsock is configured, but {VhostVsock.DevicePath} does not exist (load vhost_vsock)"),
            "vsock" => "vsock",
            "serial" => "serial",
            _ => vhostVsock ? "vsock" : "serial",
        };
        Capabilities = new HypervisorCapabilities("qemu", accelerator, vhostVsock, channel);
        if (config.Jail && File.Exists(config.Qemu.Path))
            QemuJail.Prefetch(config.Qemu.Path);
    }

    public HypervisorCapabilities Capabilities { get; }

    public async Task<IVirtualMachine> LaunchAsync(VmLaunchRequest request, CancellationToken cancellationToken = default)
    {
        RequireFile(_config.Qemu.Path, "qemu.path", "the QEMU binary (apt-get install qemu-system-x86)");
        RequireFile(_config.Kernel, "kernel", "the guest kernel (make guest-image builds it)");
        var root = QemuGuestRoot.For(_config, request.InitrdOverride);
        if (root.Image is null)
            RequireFile(root.Initrd, "initrd", "the guest initramfs (make guest-image builds it)");
        if (!_config.Qemu.VmTemplate || !request.AllowTemplate)
            return await LaunchCoreAsync(request, root, null, cancellationToken);
        var (template, reason, warn) = await Templates.QemuTemplates.PrepareAsync(this, _config, request, root, retryFailedBuild: false, cancellationToken);
        if (template is not null)
        {
            try
            {
                return await LaunchCoreAsync(request, root, Templates.TemplateUse.Restore(template), cancellationToken);
            }
            catch (Exception e) when (e is HypervisorException or IOException or UnauthorizedAccessException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                (reason, warn) = ($"restoring template {template.Key} failed: {e.Message}", true);
            }
        }
        var vm = await LaunchCoreAsync(request, root, null, cancellationToken);
        vm.Start = VmStart.Cold with { ColdReason = reason, Warn = warn };
        return vm;
    }

    /// <summary>Starts one QEMU: a cold boot (<paramref name="template"/> null), a template being built, or a clone restored from one.</summary>
    internal async Task<QemuVirtualMachine> LaunchCoreAsync(VmLaunchRequest request, QemuGuestRoot root, Templates.TemplateUse? template, CancellationToken cancellationToken)
    {
        string? jailer = null;
        if (_config.Jail)
        {
            jailer = _config.JailerBinary();
            RequireFile(jailer, "jailer_path", "sandboxrt-jailer (make build puts it beside sandboxrt)");
        }

        Storage.PrivateFiles.CreateDirectory(request.StateDirectory);
        var files = new QemuStateFiles(request.StateDirectory);
        files.RemoveAll();
        files.CreateSocketDirectory();
        var owned = new List<IDisposable>(); // the host's copies of what QEMU inherits: closed once it has them
        VirtiofsDaemon? virtiofsd = null;
        JailUser? user = null;
        Task<long>? ramCopied = null;
        try
        {
            // Descriptor numbers in QEMU, handed out from 3 in the order they are made.
            var descriptors = new List<(System.Runtime.InteropServices.SafeHandle Handle, int ChildFd)>();
            int Pass(System.Runtime.InteropServices.SafeHandle handle)
            {
                int number = 3 + descriptors.Count(d => d.ChildFd >= 3);
                descriptors.Add((handle, number));
                return number;
            }

            SharedFsPlan? sharedFs = null;
            int virtiofsdFd = -1;
            if (request.SharedDirectory is { } shared && _config.SharedFs != "none")
            {
                // Only what shared_fs says, never a silent fall back: 9p is a different security model.
                if (_config.SharedFs == SharedFsPlan.VirtioFs)
                {
                    if (!File.Exists(_config.VirtiofsdPath))
                        throw new HypervisorException($"shared_fs: virtio-fs needs virtiofsd, but virtiofsd_path {_config.VirtiofsdPath} does not exist (apt-get install qemu-system-x86, or set shared_fs to virtio-9p)");
                    (virtiofsd, var connection) = VirtiofsDaemon.Start(_config.VirtiofsdPath, shared, request.SharedDirectoryNamespace, _config.VirtiofsdCacheOption(), files.VirtiofsdSocket, files.VirtiofsdLog, _config.Qemu.LogMaxBytes, jailer, request.Cgroups);
                    owned.Add(connection);
                    virtiofsdFd = Pass(connection.SafeHandle);
                    sharedFs = new SharedFsPlan(SharedFsPlan.VirtioFs, shared);
                }
                else
                {
                    sharedFs = new SharedFsPlan(SharedFsPlan.Virtio9p, shared);
                }
            }
            // With 9p QEMU serves the guest's files itself, so it starts in the shared directory's mount
            // namespace (where its mounts are) and stays root (see QemuJail); otherwise it gets a user of its own.
            var qemuNamespace = sharedFs?.Kind == SharedFsPlan.Virtio9p ? request.SharedDirectoryNamespace : null;
            if (jailer is not null && sharedFs?.Kind != SharedFsPlan.Virtio9p)
            {
                var pool = new JailUserPool(JailUserPool.DefaultDirectory, (uint)_config.JailUidFirst, (uint)_config.JailUidCount);
                user = pool.Reserve(files.Directory);
                pool.WriteRecord(files.JailUser, user, files.Directory);
            }
            GuestChannelPlan channel;
            if (Capabilities.GuestChannel == "vsock")
            {
                var vhost = VhostVsock.ReserveCid(CidCandidates(), out uint cid);
                owned.Add(vhost);
                channel = GuestChannelPlan.Vsock(cid, Pass(vhost));
            }
            else
            {
                var agentListener = UnixListener.Listen(files.AgentSocket);
                owned.Add(agentListener);
                channel = GuestChannelPlan.Serial(Pass(agentListener));
            }
            new VmmRecord
            {
                Driver = "qemu",
                ControlSocket = files.QmpSocket,
                AgentChannelKind = Capabilities.GuestChannel,
                AgentSocket = Capabilities.GuestChannel == "vsock" ? null : files.AgentSocket,
                AgentPort = Capabilities.GuestChannel == "vsock" ? GuestChannelPlan.AgentVsockPort : 0,
            }.Save(request.StateDirectory);
            var qmp = UnixListener.Listen(files.QmpSocket);
            owned.Add(qmp);
            int qmpFd = Pass(qmp);
            var (console, consoleForQemu) = FdPassingSocket.CreatePair();
            owned.Add(consoleForQemu);
            var consolePump = LogPump.Start(console, new RotatingLog(files.ConsoleLog, _config.ConsoleLogMaxBytes), "the guest console");
            int consoleFd = Pass(consoleForQemu);
            var (outputForQemu, outputPump) = LogPump.StartPipe(files.HypervisorLog, _config.Qemu.LogMaxBytes, "QEMU's output");
            owned.Add(outputForQemu);
            var nics = request.NetworkDevices.Select(d => (Pass(d.Tap), d.Mac, d.Mtu)).ToList();
            string? ramFile = template?.BuildRamFile;
            int? incomingFd = null;
            if (template?.Template is { } restoring)
            {
                // The clone's RAM: a private copy of the template's (GuestRamCopy says why not a mapping),
                // filled while QEMU starts (about 20 ms of each): QEMU maps the file, an incoming QEMU
                // writes no guest RAM, and the restore loads no state before the copy is done.
                // QEMU opens the file where it starts: a mount in the host's namespace is not in the sandbox's
                var ram = InNamespace(qemuNamespace, () =>
                {
                    files.MountGuestRam(new FileInfo(restoring.RamFile).Length);
                    return Templates.GuestRamCopy.Create(restoring.RamFile, files.GuestRam);
                });
                ramCopied = Task.Run(() =>
                {
                    using (ram)
                        return Templates.GuestRamCopy.CopyInto(restoring.RamFile, ram);
                }, CancellationToken.None);
                ramFile = files.GuestRam;
                var state = File.OpenHandle(restoring.StateFile, FileMode.Open, FileAccess.Read);
                owned.Add(state);
                incomingFd = Pass(state);
            }
            else if (ramFile is not null)
            {
                Storage.PrivateFiles.WriteAllBytes(ramFile, []); // QEMU may not create it: it grows the empty file it is given
            }
            // The file is QEMU's user's, 0600, in root's private directory: the jail binds the file alone,
            // so QEMU can write its memory and add nothing, and no other host user reaches it.
            if (ramFile is not null && user is not null)
                FileSystem.Chown(ramFile, user.Uid, user.Gid);

            var plan = new QemuLaunchPlan(request.Id, _config, Capabilities.Accelerator, request.Vcpus, request.MemoryMib,
                root.Initrd, consoleFd, qmpFd, channel, sharedFs, HostCpu.TscKhz())
            {
                RootImage = root.Image,
                Nics = nics,
                VirtiofsdFd = virtiofsdFd,
                AgentTokenFile = request.AgentTokenFile,
                MaxVcpus = request.MaxVcpus,
                MaxMemoryMib = request.MaxMemoryMib,
                TemplateRamFile = ramFile,
                IncomingFd = incomingFd,
            };
            List<string> argv = [_config.Qemu.Path, .. QemuCommandLine.Build(plan)];
            if (jailer is not null)
            {
                // planned where QEMU starts: the paths it binds (the guest-RAM file of a clone) are looked up there
                var jail = InNamespace(qemuNamespace, () => QemuJail.Build(_config, root, files, user, !Capabilities.Accelerator.IsTcg, request.Cgroups,
                    request.HypervisorReadableFiles, descriptors.Select(d => d.ChildFd).ToList(),
                    sharedFs?.Kind == SharedFsPlan.Virtio9p ? sharedFs.HostDirectory : null,
                    ramFile));
                argv = JailerCommand.Build(jailer, jail, argv);
            }
            Storage.PrivateFiles.WriteAllText(files.CommandLine, string.Join('\n', argv) + "\n");

            using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
            descriptors.InsertRange(0, [(devNull, 0), (outputForQemu, 1), (outputForQemu, 2)]);
            long launched = System.Diagnostics.Stopwatch.GetTimestamp();
            var process = ChildProcess.Start(new SpawnOptions
            {
                Path = argv[0],
                Arguments = argv,
                Environment = ChildEnvironment,
                Descriptors = descriptors,
                NewSession = true,
                NewPidNamespace = jailer is not null, // QemuJail asks for it: the jailer checks
                MountNamespace = qemuNamespace?.Handle,
                WorkingDirectory = "/",
            }, "qemu");
            if (Capabilities.Accelerator.IsTcg && _config.Qemu.TcgNice != 0)
            {
                try
                {
                    ChildProcesses.SetNice(process.Pid, _config.Qemu.TcgNice);
                }
                catch (SyscallException)
                {
                    // lowering priority cannot fail for root; if it does, the VM just runs at normal priority
                }
            }
            IAgentConnector connector = channel.Kind == "vsock"
                ? new VsockConnector(channel.VsockCid, GuestChannelPlan.AgentVsockPort)
                : new SerialChannelConnector(files.AgentSocket);
            var vm = new QemuVirtualMachine(process, launched, files, connector, TimeSpan.FromSeconds(_config.ShutdownGraceSeconds), virtiofsd, sharedFs,
                Task.WhenAll(consolePump, outputPump, virtiofsd?.LogPumped ?? Task.CompletedTask), unplugsCpus: !Capabilities.Accelerator.IsTcg)
            {
                BootNics = nics.Count,
                // a clone's devices took the first root ports (QemuRestore); the rest are free
                FreeHotplugPort = template?.Template is not null && _config.Qemu.MachineType == "q35" ? QemuCommandLine.SandboxDevices(plan).Count : null,
            };
            if (template?.Template is { } from && incomingFd is { } stateFd)
            {
                try
                {
                    await Templates.QemuRestore.RestoreAsync(files.QmpSocket, stateFd, plan, ramCopied!, vm.Exited, files.HypervisorLog,
                        TimeSpan.FromSeconds(_config.BootTimeoutSeconds), cancellationToken);
                }
                catch
                {
                    await CopyEnded(ramCopied); // before the VM's stop detaches the file's tmpfs
                    virtiofsd = null; // the VM stops it
                    await vm.StopAsync(CancellationToken.None);
                    throw;
                }
                vm.Start = new VmStart
                {
                    TemplateKey = from.Key,
                    TemplateDirectory = from.Directory,
                    Restore = System.Diagnostics.Stopwatch.GetElapsedTime(launched),
                };
            }
            return vm;
        }
        catch
        {
            await CopyEnded(ramCopied);
            if (virtiofsd is not null)
                await virtiofsd.StopAsync();
            JailUserPool.ReleaseRecorded(files.JailUser);
            files.RemoveAll();
            VmmRecord.Remove(request.StateDirectory);
            throw;
        }
        finally
        {
            foreach (var handle in owned)
                handle.Dispose(); // QEMU holds its own copies
        }
    }

    /// <summary>Runs <paramref name="action"/> in <paramref name="ns"/>, or here when null.</summary>
    private static T InNamespace<T>(SandboxRt.Interop.MountNamespace? ns, Func<T> action) => ns is null ? action() : ns.Run(action);

    /// <summary>A clone's RAM copy has ended, however (its failure, if any, is not the failure being handled: the restore reports its own).</summary>
    private static Task CopyEnded(Task<long>? copy) => copy?.ContinueWith(_ => { }, TaskScheduler.Default) ?? Task.CompletedTask;

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
