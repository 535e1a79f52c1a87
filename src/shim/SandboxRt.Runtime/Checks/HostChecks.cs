using System.Diagnostics;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;

namespace SandboxRt.Runtime.Checks;

/// <summary>
/// The host requirements `sandboxrt check` reports, like `kata-runtime check`: the hypervisor binary,
/// usable KVM or the TCG fallback, the guest channel, the guest image, cgroups, virtiofsd, the jailer, privileges.
/// </summary>
public static class HostChecks
{
    public static IReadOnlyList<CheckResult> Run(HypervisorConfig config) =>
    [
        Hypervisor(config),
        Kvm(),
        Accelerator(config),
        GuestChannel(config),
        GuestImage(config),
        Cgroups(),
        Virtiofsd(config),
        Jailer(config),
        Privileges(),
    ];

    /// <summary>The VMM's jail: the jailer binary, and the user ids QEMU gets.</summary>
    public static CheckResult Jailer(HypervisorConfig config)
    {
        if (!config.Jail)
            return CheckResult.Warn("jailer", "jail=false: QEMU and virtiofsd run as plain root processes outside the pod's cgroup");
        var path = config.JailerBinary();
        var facts = new Dictionary<string, string> { ["path"] = path, ["uid_first"] = config.JailUidFirst.ToString(), ["uid_count"] = config.JailUidCount.ToString() };
        return File.Exists(path)
            ? CheckResult.Ok("jailer", $"{path}: QEMU runs as uid/gid {config.JailUidFirst}..{config.JailUidFirst + config.JailUidCount - 1}, one per sandbox", facts)
            : CheckResult.Fail("jailer", $"{path} does not exist (make build puts sandboxrt-jailer beside sandboxrt)", facts);
    }

    /// <summary>The configured driver's binary: QEMU's is checked; another driver's requirements are not known to this check, which says so.</summary>
    public static CheckResult Hypervisor(HypervisorConfig config) => config.Hypervisor == "qemu"
        ? Qemu(config)
        : CheckResult.Fail("hypervisor", $"hypervisor={config.Hypervisor}: sandboxrt check knows only QEMU's requirements, and this driver has never booted a guest here (README, \"What works today\")");

    public static CheckResult Qemu(HypervisorConfig config)
    {
        if (!File.Exists(config.Qemu.Path))
            return CheckResult.Fail("qemu", $"{config.Qemu.Path} does not exist (apt-get install qemu-system-x86)");
        var version = FirstLineOf(config.Qemu.Path, "--version");
        return version is null
            ? CheckResult.Fail("qemu", $"{config.Qemu.Path} --version did not answer")
            : CheckResult.Ok("qemu", $"{config.Qemu.Path}: {version}", new Dictionary<string, string> { ["path"] = config.Qemu.Path, ["version"] = version });
    }

    public static CheckResult Kvm()
    {
        var (usable, reason) = AcceleratorProbe.ProbeKvm();
        var facts = new Dictionary<string, string> { ["usable"] = usable ? "true" : "false", ["reason"] = reason };
        return usable ? CheckResult.Ok("kvm", "usable: " + reason, facts) : CheckResult.Warn("kvm", "not usable: " + reason, facts);
    }

    public static CheckResult Accelerator(HypervisorConfig config)
    {
        try
        {
            var choice = AcceleratorProbe.Choose(config.Accelerator);
            var facts = new Dictionary<string, string> { ["accelerator"] = choice.Accelerator, ["configured"] = config.Accelerator, ["reason"] = choice.Reason };
            return choice.IsTcg
                ? CheckResult.Ok("accelerator", choice.KvmUsable ? "tcg (configured)" : "tcg: the fallback, because KVM is not usable (see kvm)", facts)
                : CheckResult.Ok("accelerator", "kvm", facts);
        }
        catch (HypervisorException e)
        {
            return CheckResult.Fail("accelerator", e.Message);
        }
    }

    public static CheckResult GuestChannel(HypervisorConfig config)
    {
        bool exists = File.Exists(VhostVsock.DevicePath);
        var facts = new Dictionary<string, string> { ["vhost_vsock"] = exists ? "true" : "false", ["configured"] = config.Qemu.GuestChannel };
        if (config.Qemu.GuestChannel == "vsock" && !exists)
            return CheckResult.Fail("guest-channel", $"guest_channel=vsock, but {VhostVsock.DevicePath} does not exist (modprobe vhost_vsock)", facts);
        if (config.Qemu.GuestChannel == "serial" || !exists)
        {
            facts["channel"] = "virtio-serial";
            return exists
                ? CheckResult.Ok("guest-channel", "virtio-serial (configured)", facts)
                : CheckResult.Warn("guest-channel", $"{VhostVsock.DevicePath} does not exist: using the virtio-serial fallback (port agent.channel.0)", facts);
        }
        facts["channel"] = "vsock";
        return CheckResult.Ok("guest-channel", $"vhost-vsock ({VhostVsock.DevicePath})", facts);
    }

    public static CheckResult GuestImage(HypervisorConfig config)
    {
        bool image = config.Hypervisor == "clh" ? Hypervisors.CloudHypervisor.ClhHypervisor.UsesImage(config) : Hypervisors.Qemu.QemuGuestRoot.UsesImage(config);
        var boots = image ? ("image", config.Image) : ("initrd", config.Initrd);
        var missing = new[] { ("kernel", config.Kernel), boots }.Where(f => !File.Exists(f.Item2)).ToList();
        if (missing.Count > 0)
            return CheckResult.Fail("guest-image", string.Join("; ", missing.Select(m => $"{m.Item1} {m.Item2} does not exist")) + " (make guest-image)");
        var facts = new Dictionary<string, string>
        {
            ["kernel"] = config.Kernel,
            ["initrd"] = config.Initrd,
            ["kernel_bytes"] = SizeOf(config.Kernel).ToString(),
            ["initrd_bytes"] = SizeOf(config.Initrd).ToString(),
            ["boots"] = boots.Item1,
        };
        if (image)
        {
            facts["image"] = config.Image;
            facts["image_bytes"] = SizeOf(config.Image).ToString();
        }
        var imageDirectory = Path.GetDirectoryName(config.Initrd)!;
        var manifest = Path.Combine(imageDirectory, "manifest.json");
        string release = "", flavour = "";
        if (File.Exists(manifest))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(manifest));
            if (doc.RootElement.TryGetProperty("kernel_release", out var r))
                facts["kernel_release"] = release = r.GetString() ?? "";
            if (doc.RootElement.TryGetProperty("kernel", out var k))
                facts["kernel_flavour"] = flavour = k.GetString() ?? "";
            if (doc.RootElement.TryGetProperty("hash", out var h))
                facts["image_hash"] = h.GetString() ?? "";
        }
        // build.sh records why this kernel is the installed one (ours, or Debian's as the fallback).
        var reasonFile = Path.Combine(imageDirectory, "kernel-reason");
        var reason = File.Exists(reasonFile) ? File.ReadAllText(reasonFile).Trim() : "";
        if (reason.Length > 0)
            facts["kernel_reason"] = reason;
        var kernel = $"{(flavour.Length > 0 ? flavour + " " : "")}kernel {(release.Length > 0 ? release + " " : "")}({Mib(config.Kernel)})";
        var root = image ? $"root image {Mib(config.Image)} (read-only virtio-pmem, DAX)" : $"initramfs {Mib(config.Initrd)}";
        return CheckResult.Ok("guest-image", $"{kernel}, {root}{(reason.Length > 0 ? ": " + reason : "")}", facts);
    }

    public static CheckResult Cgroups()
    {
        const string root = "/sys/fs/cgroup";
        var mounts = File.Exists("/proc/self/mountinfo") ? File.ReadAllLines("/proc/self/mountinfo") : [];
        bool unifiedAtRoot = mounts.Any(l => l.Contains($" {root} ") && l.Contains(" - cgroup2 "));
        bool hybrid = mounts.Any(l => l.Contains($" {root}/unified ") && l.Contains(" - cgroup2 "));
        bool v1 = mounts.Any(l => l.Contains(" - cgroup "));
        var layout = unifiedAtRoot ? "unified (cgroup v2)" : hybrid ? "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)" : v1 ? "legacy (cgroup v1)" : "none mounted";
        var facts = new Dictionary<string, string> { ["layout"] = layout };
        // Container cgroups live inside the guest (cgroup v2 there); on the host only the VM's own
        // processes are placed, so any layout works.
        return unifiedAtRoot || hybrid || v1
            ? CheckResult.Ok("cgroups", $"host layout: {layout}; containers get cgroup v2 inside the guest", facts)
            : CheckResult.Warn("cgroups", "no cgroup file system is mounted on the host", facts);
    }

    public static CheckResult Virtiofsd(HypervisorConfig config)
    {
        if (config.SharedFs != "virtio-fs")
            return CheckResult.Ok("virtiofsd", $"not needed (shared_fs={config.SharedFs})");
        return File.Exists(config.VirtiofsdPath)
            ? CheckResult.Ok("virtiofsd", config.VirtiofsdPath, new Dictionary<string, string> { ["path"] = config.VirtiofsdPath })
            : CheckResult.Fail("virtiofsd", $"{config.VirtiofsdPath} does not exist: sandboxes with shared_fs=virtio-fs cannot start (install it, or set shared_fs to virtio-9p)");
    }

    public static CheckResult Privileges() =>
        ChildProcesses.EffectiveUid == 0
            ? CheckResult.Ok("privileges", "running as root")
            : CheckResult.Fail("privileges", $"running as uid {ChildProcesses.EffectiveUid}: the runtime needs root (mounts, namespaces, virtiofsd)");

    private static string Mib(string path) => $"{SizeOf(path) / (1024.0 * 1024.0):F1} MiB";

    /// <summary>The size of the file a path names, following symbolic links (the image is linked into the cache).</summary>
    private static long SizeOf(string path)
    {
        var info = new FileInfo(path);
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
    }

    private static string? FirstLineOf(string binary, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(binary, argument) { RedirectStandardOutput = true, RedirectStandardError = true });
            if (process is null)
                return null;
            var line = process.StandardOutput.ReadLine();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                return null;
            }
            return line?.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
