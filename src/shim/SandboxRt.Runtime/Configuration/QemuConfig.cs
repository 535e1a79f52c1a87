namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// The QEMU driver's own settings: the "qemu" object of the JSON file, [hypervisor.qemu] path and
/// machine_type in Kata's TOML. Their older top-level names (path, machine_type, qemu_sandbox, ...) are
/// still read, from files and from --config-option (<see cref="FlatNames"/>).
/// </summary>
public sealed record QemuConfig
{
    public const string Section = "qemu";

    /// <summary>The QEMU binary.</summary>
    public string Path { get; set; } = "/usr/bin/qemu-system-x86_64";
    /// <summary>"q35" or "microvm" ("pc" is accepted too).</summary>
    public string MachineType { get; set; } = "q35";
    /// <summary>The -cpu model; empty means "host" under KVM and "max" under TCG.</summary>
    public string CpuModel { get; set; } = "";
    /// <summary>"auto" (vhost-vsock when /dev/vhost-vsock opens, else virtio-serial), "vsock" or "serial".</summary>
    public string GuestChannel { get; set; } = "auto";
    /// <summary>Run QEMU under its seccomp sandbox (-sandbox on, with privilege elevation and spawning denied).</summary>
    public bool Sandbox { get; set; } = true;
    /// <summary>
    /// The nice value QEMU runs at under TCG. Emulated vCPUs take every cycle they get; a positive value
    /// keeps the host's control plane (the CLI, relays, the container engine) responsive beside them.
    /// Ignored under KVM.
    /// </summary>
    public int TcgNice { get; set; } = 5;
    /// <summary>
    /// The size of TCG's translation cache in MiB (QEMU's -accel tcg,tb-size=N); 0 leaves QEMU's default
    /// (1 GiB, filled as the guest runs new code). It is anonymous memory of every QEMU, so it is most
    /// of an idle pod's host cost under TCG. Ignored under KVM.
    /// </summary>
    public int TcgTbSizeMib { get; set; }
    /// <summary>
    /// A virtio-balloon device with free page reporting (never inflated): the guest hands the 2 MiB blocks
    /// it frees back to the host, which punches them out of the VM's RAM file. A template built with it
    /// waits until its guest has reported what it freed while booting, so clones copy less; a running
    /// VM gives back what its containers freed.
    /// </summary>
    public bool FreePageReporting { get; set; } = true;
    /// <summary>Directories (or files) QEMU reads by path besides its binary, libraries and the guest image: firmware and ROMs.</summary>
    public List<string> JailPaths { get; set; } = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"];
    /// <summary>The bound for QEMU's own stdout and stderr (qemu.log, qemu.log.1), and virtiofsd's log.</summary>
    public long LogMaxBytes { get; set; } = 256 * 1024;
    /// <summary>
    /// Start sandboxes from a VM template (a VM saved once its agent served; see
    /// Hypervisors/Qemu/Templates/QemuTemplates): built on first use per guest image, kernel, machine and
    /// size, kept in <see cref="TemplateDirectory"/>; a sandbox that cannot use one boots cold.
    /// </summary>
    public bool VmTemplate { get; set; } = true;
    /// <summary>
    /// Warm a template before it is saved: its agent builds and removes one container (kernel parameter
    /// sandboxrt.warmup=1) and the builder has one host session with it, so that clones skip that
    /// first-time work (Templates/QemuTemplateBuilder). Part of the template key; false saves a template
    /// as soon as its agent serves.
    /// </summary>
    public bool TemplateWarmUp { get; set; } = true;
    /// <summary>Where templates are kept (root's, mode 0700).</summary>
    public string TemplateDirectory { get; set; } = "/var/cache/sandboxrt/templates";
    /// <summary>Arguments appended to the QEMU command line as they are.</summary>
    public List<string> ExtraArgs { get; set; } = [];

    /// <summary>Top-level names of these fields before the split (older files, --config-option) to their name in this section.</summary>
    public static IReadOnlyDictionary<string, string> FlatNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["path"] = "path",
        ["machine_type"] = "machine_type",
        ["cpu_model"] = "cpu_model",
        ["guest_channel"] = "guest_channel",
        ["qemu_sandbox"] = "sandbox",
        ["tcg_nice"] = "tcg_nice",
        ["jail_paths"] = "jail_paths",
        ["qemu_log_max_bytes"] = "log_max_bytes",
        ["extra_args"] = "extra_args",
    };

    /// <summary>Checks the section; <paramref name="fail"/> takes the field (as "qemu.name") and the problem.</summary>
    public void Validate(Action<string, string> fail)
    {
        if (MachineType is not ("q35" or "microvm" or "pc"))
            fail("qemu.machine_type", $"'{MachineType}' is not one of q35, microvm, pc");
        if (GuestChannel is not ("auto" or "vsock" or "serial"))
            fail("qemu.guest_channel", $"'{GuestChannel}' is not one of auto, vsock, serial");
        if (TcgTbSizeMib is < 0 or > 4096)
            fail("qemu.tcg_tb_size_mib", $"{TcgTbSizeMib} is outside 0..4096");
        if (TcgNice is < -20 or > 19)
            fail("qemu.tcg_nice", $"{TcgNice} is outside -20..19");
        if (LogMaxBytes < Diagnostics.RotatingLog.MinimumBytes)
            fail("qemu.log_max_bytes", $"{LogMaxBytes} is below {Diagnostics.RotatingLog.MinimumBytes}");
        if (!System.IO.Path.IsPathRooted(TemplateDirectory))
            fail("qemu.template_directory", $"'{TemplateDirectory}' is not an absolute path");
        if (JailPaths.FirstOrDefault(p => !System.IO.Path.IsPathRooted(p)) is { } relative)
            fail("qemu.jail_paths", $"'{relative}' is not an absolute path");
    }
}
