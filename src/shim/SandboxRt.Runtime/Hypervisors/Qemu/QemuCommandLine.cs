namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// Builds QEMU's arguments from a launch plan. q35 (and pc) take PCI devices; microvm takes virtio-mmio
/// devices and needs its PIT and ISA serial port switched on (without pit=on a TCG guest hangs after
/// "Unable to calibrate against PIT", see shared/ENVIRONMENT.md). The kernel is the uncompressed
/// vmlinux, entered through its PVH note: no firmware decompresses anything under TCG.
/// </summary>
internal static class QemuCommandLine
{

    public static List<string> Build(QemuLaunchPlan plan)
    {
        var c = plan.Config;
        bool microvm = c.Qemu.MachineType == "microvm";
        string Dev(string pci, string mmio) => microvm ? mmio : pci;
        var cpu = c.Qemu.CpuModel.Length > 0 ? c.Qemu.CpuModel : plan.Accelerator.IsTcg ? "max" : "host";
        var machine = microvm ? "microvm,pit=on,rtc=on,isa-serial=on,x-option-roms=off" : c.Qemu.MachineType;
        var accel = plan.Accelerator.IsTcg && c.Qemu.TcgTbSizeMib > 0
            ? $"{plan.Accelerator.Accelerator},tb-size={c.Qemu.TcgTbSizeMib}"
            : plan.Accelerator.Accelerator;
        // vhost-user devices (virtiofsd) map guest memory: it must be a shared memfd. A template's memory
        // is a shared file instead (it becomes the template).
        bool templated = plan.TemplateRamFile is not null;
        bool vhostUser = plan.SharedFs?.Kind == SharedFsPlan.VirtioFs;
        if (vhostUser || templated)
            machine += ",memory-backend=mem";

        var args = new List<string>
        {
            "-name", $"sandboxrt-{Escape(plan.Id)},debug-threads=on",
            "-machine", machine,
            "-accel", accel,
            "-cpu", cpu,
            "-smp", QemuHotplug.CanGrowCpus(plan) ? $"{plan.Vcpus},maxcpus={plan.MaxVcpus}" : plan.Vcpus.ToString(),
            "-m", MemoryOption(plan),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        };
        if (templated)
            args.AddRange(["-object", $"memory-backend-file,id=mem,size={plan.MemoryMib}M,mem-path={Escape(plan.TemplateRamFile!)},share=on"]);
        else if (vhostUser)
            args.AddRange(["-object", $"memory-backend-memfd,id=mem,size={plan.MemoryMib}M,share=on"]);
        if (c.Qemu.Sandbox)
            args.AddRange(["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]);
        args.AddRange(["-kernel", c.Kernel]);
        if (plan.RootImage is { } image)
        {
            // Read-only in QEMU (O_RDONLY, PROT_READ): the guest cannot change it; shared with every VM
            // through the host's page cache, and (share=on) never part of a template's saved state.
            args.AddRange(["-object", $"memory-backend-file,id={GuestRootImage.BackendId},mem-path={Escape(image.Path)},size={image.Bytes},share=on,readonly=on"]);
            args.AddRange(["-device", $"virtio-pmem-pci,id={GuestRootImage.DeviceId},memdev={GuestRootImage.BackendId}"]);
        }
        else
            args.AddRange(["-initrd", plan.Initrd]);
        args.AddRange(["-append", KernelParams(plan)]);
        // The console is a connected socket whose other end the host reads into a bounded log; when
        // nobody reads, QEMU's writes fail and the serial port drops the bytes: nothing grows.
        args.AddRange(["-chardev", $"socket,id=console,fd={plan.ConsoleFd}", "-serial", "chardev:console"]);
        args.AddRange(["-chardev", $"socket,id=qmp,fd={plan.QmpListenFd},server=on,wait=off", "-mon", "chardev=qmp,mode=control"]);
        if (plan.AgentTokenFile is { } token)
            args.AddRange(["-fw_cfg", $"name={(global::SandboxRt.Agent.Protocol.AgentAuthPreamble.FirmwareName)},file={Escape(token)}"]); // the path, never the secret

        if (plan.Channel.Kind == "vsock")
        {
            args.AddRange(["-device", $"{Dev("vhost-vsock-pci", "vhost-vsock-device")},id=vsock0,guest-cid={plan.Channel.VsockCid},vhostfd={plan.Channel.VhostFd}"]);
        }
        else
        {
            args.AddRange(["-device", $"{Dev("virtio-serial-pci", "virtio-serial-device")},id=agent-serial"]);
            args.AddRange(["-chardev", $"socket,id=agent,fd={plan.Channel.SerialListenFd},server=on,wait=off"]);
            args.AddRange(["-device", $"virtserialport,bus=agent-serial.0,chardev=agent,name={GuestChannelPlan.SerialPortName}"]);
        }
        if (plan.SharedFs is { } fs)
        {
            if (fs.Kind == SharedFsPlan.VirtioFs)
                args.AddRange(["-chardev", $"socket,id=vfs,fd={plan.VirtiofsdFd}"]);
            else
            {
                // mapped-xattr: files the guest creates are plain files of QEMU's user on the host, with the
                // guest's owner, mode and type kept in user.virtfs.* xattrs, so no setuid file or device node
                // the guest makes is real on the host (passthrough made them real). multidevs=remap: the
                // export spans the rootfs and volumes of several file systems; keep their inode numbers apart.
                args.AddRange(["-fsdev", $"local,id=share,path={Escape(fs.HostDirectory)},security_model=mapped-xattr,multidevs=remap"]);
            }
        }
        for (int i = 0; i < plan.Nics.Count; i++)
            args.AddRange(["-netdev", $"tap,id=net{i},fd={plan.Nics[i].Fd}"]);
        // A template's devices end here: what follows (the share, the NICs) differs per sandbox and is
        // hot-plugged into a clone after its restore (QemuRestore), on the root ports reserved below.
        if (templated)
        {
            args.AddRange(["-device", "vmgenid,id=vmgenid0,guid=auto"]); // a new generation id per clone: the guest reseeds
            if (c.Qemu.MachineType == "q35")
                for (int i = 0; i < HotplugPorts; i++)
                    args.AddRange(["-device", $"pcie-root-port,id={PortName(i)},bus=pcie.0,chassis={i + 1},slot={i + 1}"]);
        }
        else
        {
            foreach (var device in SandboxDevices(plan))
                args.AddRange(["-device", string.Join(',', device.Select(p => p.Key == "driver" ? p.Value : $"{p.Key}={p.Value}"))]);
        }
        args.AddRange(["-device", Dev("virtio-rng-pci", "virtio-rng-device")]);
        if (c.Qemu.FreePageReporting)
            args.AddRange(["-device", $"{Dev("virtio-balloon-pci", "virtio-balloon-device")},id=balloon0,free-page-reporting=on"]);
        if (plan.IncomingFd is not null)
            args.AddRange(["-incoming", "defer"]);
        args.AddRange(c.Qemu.ExtraArgs);
        return args;
    }

    /// <summary>
    /// -m: the boot size, and where the VM can grow or has a root image, the hot-plug region (maxmem)
    /// that holds the DIMMs and the image's virtio-pmem device: the image's MiB come on top of the
    /// growth room, so that it takes none of it.
    /// </summary>
    private static string MemoryOption(QemuLaunchPlan plan)
    {
        bool grow = QemuHotplug.CanGrowMemory(plan);
        int image = plan.RootImage?.Mib ?? 0;
        if (!grow && image == 0)
            return $"{plan.MemoryMib}M";
        return $"{plan.MemoryMib}M,slots={QemuHotplug.MemorySlots},maxmem={(grow ? plan.MaxMemoryMib : plan.MemoryMib) + image}M";
    }

    /// <summary>PCIe root ports a q35 template keeps free for a clone's share and NICs.</summary>
    public const int HotplugPorts = 6;

    public static string PortName(int i) => $"sandboxrt-port{i}";

    /// <summary>
    /// The devices that differ per sandbox, as device_add properties ("driver" first): the share and the
    /// NICs. A cold VM gets them on its command line, a clone by hot-plug (QemuRestore).
    /// </summary>
    public static List<List<KeyValuePair<string, string>>> SandboxDevices(QemuLaunchPlan plan)
    {
        bool microvm = plan.Config.Qemu.MachineType == "microvm";
        string Dev(string pci, string mmio) => microvm ? mmio : pci;
        var devices = new List<List<KeyValuePair<string, string>>>();
        if (plan.SharedFs is { } fs)
        {
            devices.Add(fs.Kind == SharedFsPlan.VirtioFs
                ? [new("driver", Dev("vhost-user-fs-pci", "vhost-user-fs-device")), new("id", "sandboxrt-fs"), new("chardev", "vfs"), new("tag", SharedFsPlan.Tag), new("queue-size", "1024")]
                : [new("driver", Dev("virtio-9p-pci", "virtio-9p-device")), new("id", "sandboxrt-fs"), new("fsdev", "share"), new("mount_tag", SharedFsPlan.Tag)]);
        }
        for (int i = 0; i < plan.Nics.Count; i++)
        {
            var (_, mac, mtu) = plan.Nics[i];
            devices.Add([new("driver", Dev("virtio-net-pci", "virtio-net-device")), new("id", $"sandboxrt-nic{i}"), new("netdev", $"net{i}"),
                new("mac", global::SandboxRt.Agent.Protocol.NetworkText.FormatMac(mac)), new("host_mtu", mtu.ToString())]);
        }
        return devices;
    }

    /// <summary>The properties of <see cref="SandboxDevices"/> whose values are numbers.</summary>
    private static readonly HashSet<string> NumericProperties = ["queue-size", "host_mtu"];

    /// <summary>
    /// One of <see cref="SandboxDevices"/> as device_add's arguments: numbers as JSON numbers. QEMU 7.2
    /// took "1024" for a uint64 property through QMP; later ones (8.2, 10.0) refuse it ("Parameter
    /// 'queue-size' expects uint64"), as they refuse every string for a number there.
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject DeviceAddArguments(IEnumerable<KeyValuePair<string, string>> device)
    {
        var arguments = new System.Text.Json.Nodes.JsonObject();
        foreach (var (key, value) in device)
            arguments[key] = NumericProperties.Contains(key) ? ulong.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : value;
        return arguments;
    }

    /// <summary>The guest kernel command line: the configured parameters plus the agent's own options.</summary>
    public static string KernelParams(QemuLaunchPlan plan)
    {
        var parts = new List<string> { plan.Config.KernelParams.Trim() };
        if (plan.RootImage is not null)
            parts.Add(GuestRootImage.KernelParams);
        // Under TCG the guest calibrates its TSC against emulated timers; on a loaded host it has measured
        // 40 and 400 MHz for a 2.6 GHz TSC (q35 as well as microvm), and its clock then ran 6 to 65 times
        // too fast: agent deadlines expired within seconds. The host's rate is given (see HostCpu.TscKhz).
        if (plan.Accelerator.IsTcg && plan.TscKhz is { } khz)
            parts.Add($"tsc_early_khz={khz}");
        if (QemuHotplug.CanGrowMemory(plan))
            // hot-plugged DIMMs come online by themselves, in ZONE_MOVABLE: only movable pages land there, so the
            // guest can offline the DIMM again when the pod shrinks (in ZONE_NORMAL kernel allocations pin it)
            parts.Add("memhp_default_state=online_movable");
        parts.Add("sandboxrt.channel=" + plan.Channel.Kind);
        if (plan.Channel.Kind == "vsock")
            parts.Add($"sandboxrt.port={GuestChannelPlan.AgentVsockPort}");
        if (plan.Config.Debug)
            parts.Add("sandboxrt.debug=1");
        if (plan.TemplateRamFile is not null && plan.Config.Qemu.TemplateWarmUp)
            // A template's agent builds and removes a container before it serves, so that its clones start
            // with that first-time work done (agent: Boot/TemplateWarmUp.cs). A clone gets the same command
            // line (the guest does not read it again after the restore), and so does the template key.
            parts.Add("sandboxrt.warmup=1");
        return string.Join(' ', parts.Where(p => p.Length > 0));
    }

    /// <summary>QEMU option values separate with commas; a literal comma is written twice.</summary>
    public static string Escape(string value) => value.Replace(",", ",,");
}
