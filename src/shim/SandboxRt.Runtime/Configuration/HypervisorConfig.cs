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
    /// <summary>Arguments appended to the QEMU command line as they are.</summary>
    public List<string> ExtraArgs { get; set; } = [];

    /// <summary>The file this configuration came from (null for built-in defaults).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? SourcePath { get; set; }

    public const string DefaultKernelParams =
        "console=ttyS0 panic=-1 tsc=reliable no_timer_check noreplace-smp i8042.noaux i8042.nopnp " +
        "i8042.dumbkbd cryptomgr.notests random.trust_cpu=on";
}
