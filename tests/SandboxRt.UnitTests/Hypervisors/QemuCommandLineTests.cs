using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Hypervisors.Qemu;

namespace SandboxRt.UnitTests.Hypervisors;

[Trait("Tier", "unit")]
public sealed class QemuCommandLineTests
{
    private static QemuLaunchPlan Plan(HypervisorConfig config, GuestChannelPlan? channel = null, string accelerator = "tcg") => new(
        "c1", config, new AcceleratorChoice(accelerator, accelerator == "kvm", "test"), 1, 512, "/img/initrd",
        ConsoleFd: 6, QmpListenFd: 5, channel ?? GuestChannelPlan.Serial(4));

    private static string After(List<string> args, string flag, int nth = 0) =>
        args.Select((a, i) => (a, i)).Where(x => x.a == flag).Skip(nth).Select(x => args[x.i + 1]).First();

    [Fact]
    public void Q35_with_the_serial_channel()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig()));
        Assert.Equal("q35", After(args, "-machine"));
        Assert.Equal("tcg", After(args, "-accel"));
        Assert.Equal("max", After(args, "-cpu"));
        Assert.Equal("512M", After(args, "-m"));
        Assert.Contains("virtio-serial-pci,id=agent-serial", args);
        Assert.Contains("socket,id=agent,fd=4,server=on,wait=off", args);
        Assert.Contains("virtserialport,bus=agent-serial.0,chardev=agent,name=agent.channel.0", args);
        Assert.Contains("-no-reboot", args);
        Assert.Contains("socket,id=console,fd=6", args);
        Assert.Contains("socket,id=qmp,fd=5,server=on,wait=off", args);
        // QEMU opens no socket or log of the host's by path: a jailed QEMU has none of them.
        Assert.DoesNotContain(args, a => a.Contains("path=") || a.Contains("/run/"));
        Assert.EndsWith("sandboxrt.channel=serial", After(args, "-append"));
        Assert.DoesNotContain(args, a => a.Contains("vsock"));
    }

    [Fact]
    public void Every_tcg_guest_is_told_the_hosts_tsc_rate_and_a_kvm_guest_is_not()
    {
        var micro = QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { MachineType = "microvm" } }) with { TscKhz = 2596121 });
        Assert.Contains("tsc_early_khz=2596121", After(micro, "-append"));
        var q35 = QemuCommandLine.Build(Plan(new HypervisorConfig()) with { TscKhz = 2596121 });
        Assert.Contains("tsc_early_khz=2596121", After(q35, "-append")); // a loaded host made q35 guests measure 40 MHz
        var kvm = QemuCommandLine.Build(Plan(new HypervisorConfig(), accelerator: "kvm") with { TscKhz = 2596121 });
        Assert.DoesNotContain("tsc_early_khz", After(kvm, "-append"));
    }

    [Fact]
    public void The_translation_cache_size_applies_to_tcg_alone()
    {
        var config = new HypervisorConfig { Qemu = new QemuConfig { TcgTbSizeMib = 64 } };
        Assert.Equal("tcg,tb-size=64", After(QemuCommandLine.Build(Plan(config)), "-accel"));
        Assert.Equal("kvm", After(QemuCommandLine.Build(Plan(config, accelerator: "kvm")), "-accel"));
        Assert.Single(QemuCommandLine.Build(Plan(config)), a => a == "-accel"); // QEMU refuses -accel beside -machine accel=
    }

    [Fact]
    public void Free_page_reporting_is_a_balloon_device_on_every_machine_unless_switched_off()
    {
        Assert.Contains("virtio-balloon-pci,id=balloon0,free-page-reporting=on", QemuCommandLine.Build(Plan(new HypervisorConfig())));
        Assert.Contains("virtio-balloon-device,id=balloon0,free-page-reporting=on",
            QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { MachineType = "microvm" } })));
        Assert.DoesNotContain(QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { FreePageReporting = false } })),
            a => a.Contains("balloon"));
    }

    [Fact]
    public void Microvm_gets_mmio_devices_and_its_pit()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { MachineType = "microvm" } }));
        Assert.Equal("microvm,pit=on,rtc=on,isa-serial=on,x-option-roms=off", After(args, "-machine"));
        Assert.Contains("virtio-serial-device,id=agent-serial", args);
        Assert.Contains("virtio-rng-device", args);
        Assert.DoesNotContain(args, a => a.Contains("-pci"));
    }

    [Fact]
    public void Vsock_uses_the_inherited_vhost_descriptor_and_cid()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig(), GuestChannelPlan.Vsock(42, 3), "kvm"));
        Assert.Contains("vhost-vsock-pci,id=vsock0,guest-cid=42,vhostfd=3", args);
        Assert.Equal("host", After(args, "-cpu"));
        Assert.Contains("sandboxrt.channel=vsock sandboxrt.port=1024", After(args, "-append"));
        Assert.DoesNotContain(args, a => a.Contains("virtserialport"));
    }

    [Fact]
    public void Debug_and_extra_args_and_sandbox_are_honoured()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig { Debug = true, Qemu = new QemuConfig { ExtraArgs = ["-d", "guest_errors"], Sandbox = false } }));
        Assert.EndsWith("sandboxrt.debug=1", After(args, "-append"));
        Assert.Equal(["-d", "guest_errors"], args[^2..]);
        Assert.DoesNotContain("-sandbox", args);
    }

    [Fact]
    public void Virtio_fs_uses_the_inherited_connection_to_virtiofsd()
    {
        var plan = Plan(new HypervisorConfig()) with { SharedFs = new SharedFsPlan(SharedFsPlan.VirtioFs, "/run/s/c1/shared"), VirtiofsdFd = 7 };
        var args = QemuCommandLine.Build(plan);
        Assert.Contains("socket,id=vfs,fd=7", args);
        Assert.Contains("vhost-user-fs-pci,id=sandboxrt-fs,chardev=vfs,tag=sandboxrt,queue-size=1024", args);
    }

    [Fact]
    public void Commas_in_paths_are_escaped() => Assert.Equal("/a,,b", QemuCommandLine.Escape("/a,b"));

    [Fact]
    public void Each_nic_is_a_tap_descriptor_with_the_pods_mac_and_mtu()
    {
        var plan = Plan(new HypervisorConfig()) with { Nics = [(10, new byte[] { 0x02, 0xab, 0, 0, 0, 0x0f }, 1400), (11, new byte[] { 2, 0, 0, 0, 0, 1 }, 9000)] };
        var args = QemuCommandLine.Build(plan);
        Assert.Equal("tap,id=net0,fd=10", After(args, "-netdev"));
        Assert.Equal("tap,id=net1,fd=11", After(args, "-netdev", 1));
        Assert.Contains("virtio-net-pci,id=sandboxrt-nic0,netdev=net0,mac=02:ab:00:00:00:0f,host_mtu=1400", args);
        Assert.Contains("virtio-net-pci,id=sandboxrt-nic1,netdev=net1,mac=02:00:00:00:00:01,host_mtu=9000", args);
        var micro = QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { MachineType = "microvm" } }) with { Nics = [(10, new byte[6], 1500)] });
        Assert.Contains(micro, a => a.StartsWith("virtio-net-device,id=sandboxrt-nic0,netdev=net0,"));
        Assert.DoesNotContain(QemuCommandLine.Build(Plan(new HypervisorConfig())), a => a.Contains("netdev"));
    }

    [Fact]
    public void The_agent_token_reaches_the_guest_as_a_fw_cfg_file_and_never_as_a_value()
    {
        var args = QemuCommandLine.Build(Plan(new HypervisorConfig()) with { AgentTokenFile = "/run/s/c1,x/agent-token" });
        Assert.Equal("name=opt/io.sandboxrt/agent-token,file=/run/s/c1,,x/agent-token", After(args, "-fw_cfg"));
        Assert.DoesNotContain(args, a => a.Contains("string="));
        Assert.DoesNotContain("-fw_cfg", QemuCommandLine.Build(Plan(new HypervisorConfig())));
    }

    [Fact]
    public void A_q35_vm_with_room_boots_ready_for_cpu_and_memory_hot_plug_and_microvm_never_does()
    {
        var plan = Plan(new HypervisorConfig()) with { MaxVcpus = 4, MaxMemoryMib = 8192 };
        var args = QemuCommandLine.Build(plan);
        Assert.Equal("1,maxcpus=4", After(args, "-smp"));
        Assert.Equal($"512M,slots={QemuHotplug.MemorySlots},maxmem=8192M", After(args, "-m"));
        Assert.Contains("memhp_default_state=online_movable", After(args, "-append").Split(' '));

        var none = QemuCommandLine.Build(Plan(new HypervisorConfig()) with { MaxVcpus = 1, MaxMemoryMib = 512 });
        Assert.Equal("1", After(none, "-smp"));
        Assert.Equal("512M", After(none, "-m"));
        Assert.DoesNotContain(After(none, "-append").Split(' '), p => p.StartsWith("memhp_default_state", StringComparison.Ordinal));

        var micro = QemuCommandLine.Build(Plan(new HypervisorConfig { Qemu = new QemuConfig { MachineType = "microvm" } }) with { MaxVcpus = 4, MaxMemoryMib = 8192 });
        Assert.Equal("1", After(micro, "-smp"));
        Assert.Equal("512M", After(micro, "-m"));
    }
}
