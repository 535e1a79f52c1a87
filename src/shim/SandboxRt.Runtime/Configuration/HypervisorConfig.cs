namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// One hypervisor configuration (hypervisor-configs/qemu.json). Every field is documented in that
/// file; the defaults here are the same values, so an empty file is a valid configuration.
/// Properties are settable rather than init-only because System.Text.Json's source generator
/// assigns every init-only property (missing ones as default), which would erase these defaults.
/// </summary>
public sealed record HypervisorConfig
{
    /// <summary>"qemu" (the only driver that boots here; Cloud Hypervisor is driven through its REST API).</summary>
    public string Hypervisor { get; set; } = "qemu";
    public string Path { get; set; } = "/usr/bin/qemu-system-x86_64";
    public string Kernel { get; set; } = "/usr/share/sandboxrt/vmlinux";
    public string Initrd { get; set; } = "/usr/share/sandboxrt/initramfs.img";
    /// <summary>"q35" or "microvm" ("pc" is accepted too).</summary>
    public string MachineType { get; set; } = "q35";
    public int DefaultVcpus { get; set; } = 1;
    public int DefaultMemoryMib { get; set; } = 512;
    /// <summary>Kata's default_maxvcpus: the most vCPUs a VM grows to for a container's CPU quota; 0 (or more than the host has): the host's CPUs.</summary>
    public int DefaultMaxvcpus { get; set; }
    /// <summary>The most memory a VM grows to for a container's memory limit; 0 (or more than the host has): the host's MemTotal.</summary>
    public int DefaultMaxmemoryMib { get; set; }
    public string KernelParams { get; set; } = DefaultKernelParams;
    /// <summary>"auto" (KVM when the CPU has vmx/svm and /dev/kvm opens, else TCG), "kvm" or "tcg".</summary>
    public string Accelerator { get; set; } = "auto";
    /// <summary>The -cpu model; empty means "host" under KVM and "max" under TCG.</summary>
    public string CpuModel { get; set; } = "";
    /// <summary>"auto" (vhost-vsock when /dev/vhost-vsock opens, else virtio-serial), "vsock" or "serial".</summary>
    public string GuestChannel { get; set; } = "auto";
    /// <summary>"virtio-fs", "virtio-9p" or "none": how container root file systems reach the guest.</summary>
    public string SharedFs { get; set; } = "virtio-fs";
    public string VirtiofsdPath { get; set; } = "/usr/lib/qemu/virtiofsd";
    public int BootTimeoutSeconds { get; set; } = 60;
    public int ShutdownGraceSeconds { get; set; } = 5;
    /// <summary>Verbose agent logging on the guest console, and QEMU's own logging.</summary>
    public bool Debug { get; set; }
    /// <summary>Run QEMU under its seccomp sandbox (-sandbox on, with privilege elevation and spawning denied).</summary>
    public bool QemuSandbox { get; set; } = true;
    /// <summary>
    /// The nice value QEMU runs at under TCG. Emulated vCPUs take every cycle they get; a positive value
    /// keeps the host's control plane (the CLI, relays, the container engine) responsive beside them.
    /// Ignored under KVM.
    /// </summary>
    public int TcgNice { get; set; } = 5;
    /// <summary>
    /// Start QEMU and virtiofsd through sandboxrt-jailer: the pod's host cgroup, no inherited descriptors,
    /// and for QEMU a minimal root of its own and an unprivileged per-sandbox user. False runs them as
    /// plain root processes (debugging only: the guest is then one QEMU bug away from the host).
    /// </summary>
    public bool Jail { get; set; } = true;
    /// <summary>The jailer binary; empty: sandboxrt-jailer next to the running program.</summary>
    public string JailerPath { get; set; } = "";
    /// <summary>The first user (and group) id handed to a jailed QEMU; each sandbox gets its own.</summary>
    public long JailUidFirst { get; set; } = 2_000_000_000;
    /// <summary>How many ids from <see cref="JailUidFirst"/> on: at most this many sandboxes at once.</summary>
    public long JailUidCount { get; set; } = 65536;
    /// <summary>Directories (or files) QEMU reads by path besides its binary, libraries and the guest image: firmware and ROMs.</summary>
    public List<string> JailPaths { get; set; } = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"];
    /// <summary>The most the guest console may take on the host: console.log plus console.log.1, the newest lines kept.</summary>
    public long ConsoleLogMaxBytes { get; set; } = 1024 * 1024;
    /// <summary>The same bound for QEMU's own stdout and stderr (qemu.log, qemu.log.1).</summary>
    public long QemuLogMaxBytes { get; set; } = 256 * 1024;
    /// <summary>Arguments appended to the QEMU command line as they are.</summary>
    public List<string> ExtraArgs { get; set; } = [];

    /// <summary>The file this configuration came from (null for built-in defaults).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? SourcePath { get; set; }

    /// <summary>What the file said that SandboxRt does not use (Kata keys with no meaning here), each naming its line.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> Warnings { get; set; } = [];

    public const string DefaultKernelParams =
        "console=ttyS0 panic=-1 tsc=reliable no_timer_check noreplace-smp i8042.noaux i8042.nopnp " +
        "i8042.dumbkbd cryptomgr.notests random.trust_cpu=on";
}
