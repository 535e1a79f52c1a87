namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// One hypervisor configuration (hypervisor-configs/qemu.json): the fields every driver reads, and one
/// section per driver (<see cref="Qemu"/>, <see cref="CloudHypervisor"/>) for what only that driver
/// reads. Every field is documented in that file; the defaults here are the same values, so an empty
/// file is a valid configuration.
/// Properties are settable rather than init-only because System.Text.Json's source generator
/// assigns every init-only property (missing ones as default), which would erase these defaults.
/// </summary>
public sealed record HypervisorConfig
{
    /// <summary>The driver: "qemu", or "clh" (Cloud Hypervisor; "cloud-hypervisor" is read as "clh").</summary>
    public string Hypervisor { get; set; } = "qemu";
    public string Kernel { get; set; } = "/usr/share/sandboxrt/vmlinux";
    public string Initrd { get; set; } = "/usr/share/sandboxrt/initramfs.img";
    /// <summary>
    /// Kata's image: the guest's root file system as a read-only ext4 image on virtio-pmem, mounted with
    /// DAX, so that every VM runs the agent from one host file's page cache (GuestRootImage). Used by QEMU
    /// on q35 and pc and by Cloud Hypervisor; microvm boots <see cref="Initrd"/>. "": always the initrd.
    /// </summary>
    public string Image { get; set; } = "/usr/share/sandboxrt/rootfs.img";
    public int DefaultVcpus { get; set; } = 1;
    public int DefaultMemoryMib { get; set; } = 512;
    /// <summary>Kata's default_maxvcpus: the most vCPUs a VM grows to for a container's CPU quota; 0 (or more than the host has): the host's CPUs.</summary>
    public int DefaultMaxvcpus { get; set; }
    /// <summary>The most memory a VM grows to for a container's memory limit; 0 (or more than the host has): the host's MemTotal.</summary>
    public int DefaultMaxmemoryMib { get; set; }
    public string KernelParams { get; set; } = DefaultKernelParams;
    /// <summary>"auto" (KVM when the CPU has vmx/svm and /dev/kvm opens, else TCG), "kvm" or "tcg".</summary>
    public string Accelerator { get; set; } = "auto";
    /// <summary>"virtio-fs", "virtio-9p" or "none": how container root file systems reach the guest.</summary>
    public string SharedFs { get; set; } = "virtio-fs";
    public string VirtiofsdPath { get; set; } = "/usr/lib/qemu/virtiofsd";
    /// <summary>
    /// Kata's virtio_fs_cache: how long the guest keeps what it read over virtio-fs. "auto" (close-to-open:
    /// a file's data is read again at each open, metadata kept 1 s), "always" (kept until the guest needs
    /// the memory: an exec no longer reads its program again, but what the host changes in a volume or
    /// the root file system while the container runs, `docker cp` for one, may not be seen), "never".
    /// </summary>
    public string VirtioFsCache { get; set; } = "auto";

    /// <summary>virtiofsd's -o cache= value for <see cref="VirtioFsCache"/> (QEMU 7.2's virtiofsd calls "never" "none").</summary>
    public string VirtiofsdCacheOption() => VirtioFsCache == "never" ? "none" : VirtioFsCache;
    public int BootTimeoutSeconds { get; set; } = 60;
    public int ShutdownGraceSeconds { get; set; } = 5;
    /// <summary>Verbose agent logging on the guest console, and QEMU's own logging.</summary>
    public bool Debug { get; set; }
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
    /// <summary>The most the guest console may take on the host: console.log plus console.log.1, the newest lines kept.</summary>
    public long ConsoleLogMaxBytes { get; set; } = 1024 * 1024;
    /// <summary>
    /// Kata's vm_cache_number: how many warmed VMs the containerd shim keeps ready for new pods (each a
    /// sandbox that has built and removed one container, waiting in a shim daemon of its own); 0: none.
    /// </summary>
    public int VmCacheNumber { get; set; }
    /// <summary>How long a cached VM waits for a pod before it stops; 0: until claimed.</summary>
    public int VmCacheIdleSeconds { get; set; } = 600;

    /// <summary>The QEMU driver's own settings (the "qemu" object).</summary>
    public QemuConfig Qemu { get; set; } = new();

    /// <summary>The Cloud Hypervisor driver's own settings (the "cloud_hypervisor" object).</summary>
    public CloudHypervisorConfig CloudHypervisor { get; set; } = new();

    /// <summary>The jailer binary: jailer_path, or sandboxrt-jailer beside the running program.</summary>
    public string JailerBinary() => JailerPath.Length > 0 ? JailerPath : System.IO.Path.Combine(AppContext.BaseDirectory, "sandboxrt-jailer");

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
