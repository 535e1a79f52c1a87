using System.Collections.Concurrent;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors.Jail;

using SandboxRt.Runtime.Hypervisors.SharedFs;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// QEMU's jail: what its root holds and who it runs as. Everything else it uses arrives as a descriptor.
/// What QEMU opens by path is its binary, its libraries (and modules: the TCG accelerator is one), the
/// firmware directories (jail_paths), the guest kernel and initrd (or root image), files it is told to read (the agent
/// token), and the device nodes made here.
///
/// One case keeps QEMU root: with shared_fs=virtio-9p QEMU itself is the file server, and like
/// virtiofsd (see VirtiofsDaemon) it must read, create and chown a root guest's files as their owners,
/// which an unprivileged user cannot. It still gets the jail (namespace and root with the shared
/// directory bound read-write, cgroup, no_new_privs, seccomp) and a bounding set of only what a 9p
/// server uses. virtio-fs (the default) keeps QEMU unprivileged.
/// </summary>
internal static class QemuJail
{
    public static readonly IReadOnlyList<string> Devices = ["/dev/null", "/dev/zero", "/dev/urandom"];
    private static readonly ConcurrentDictionary<string, Lazy<JailLayout>> s_executables = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts planning QEMU's binary and libraries in the jail in the background (reading its ELF
    /// dependencies takes tens of milliseconds in a fresh CLI process), so that the plan is ready by the
    /// time the VM launches: called when the driver is made.
    /// </summary>
    public static void Prefetch(string qemu) =>
        _ = Task.Run(() =>
        {
            try
            {
                _ = Executable(qemu);
            }
            catch (HypervisorException)
            {
                // reported again, and thrown, by the launch that needs them
            }
        });

    /// <summary>The jail layout of QEMU's binary and libraries alone, planned once per process.</summary>
    private static JailLayout Executable(string qemu)
    {
        var lazy = s_executables.GetOrAdd(qemu, path => new Lazy<JailLayout>(() =>
        {
            var layout = new JailLayout();
            layout.ExposeExecutable(path, ElfDependencies.Resolve(path));
            return layout;
        }));
        try
        {
            return lazy.Value;
        }
        catch
        {
            s_executables.TryRemove(new KeyValuePair<string, Lazy<JailLayout>>(qemu, lazy)); // a later launch tries again
            throw;
        }
    }

    // linux/capability.h numbers of what QEMU's 9p "local" backend uses on a root guest's files.
    private static readonly int[] FileServerCapabilities =
    [
        0, // CAP_CHOWN
        1, // CAP_DAC_OVERRIDE
        2, // CAP_DAC_READ_SEARCH
        3, // CAP_FOWNER
        4, // CAP_FSETID
    ];

    /// <param name="user">The sandbox's own user; null when QEMU serves <paramref name="servedDirectory"/> over 9p and stays root.</param>
    public static JailSpec Build(HypervisorConfig config, QemuGuestRoot root, QemuStateFiles files, JailUser? user, bool kvm,
        IReadOnlyList<string> cgroups, IReadOnlyList<string> privateFiles, IReadOnlyList<int> keepDescriptors, string? servedDirectory = null,
        string? ramFile = null)
    {
        var layout = Executable(config.Qemu.Path).Copy();
        foreach (var path in config.Qemu.JailPaths.Where(Path.Exists))
            layout.Expose(path);
        RequireReadableByAll(layout.Expose(config.Kernel), "kernel");
        // the root image is bound read-only like the kernel, and QEMU opens it O_RDONLY (readonly=on)
        RequireReadableByAll(layout.Expose(root.BootFile), root.Image is null ? "initrd" : "image");
        foreach (var file in privateFiles)
        {
            // Readable by this sandbox's QEMU and by root only.
            var real = layout.Expose(file);
            if (user is not null)
                FileSystem.Chown(real, user.Uid, user.Gid);
            File.SetUnixFileMode(real, UnixFileMode.UserRead);
        }
        if (servedDirectory is not null)
            layout.ExposeWritable(servedDirectory);
        if (ramFile is not null)
            layout.ExposeWritable(ramFile); // the guest RAM file of a template or a clone (QemuLaunchPlan.TemplateRamFile), the file alone
        Directory.CreateDirectory(files.JailRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new JailSpec
        {
            // It sees no host process, and can signal none (see the jailer's design comment).
            NewPidNamespace = true,
            Cgroups = cgroups,
            Root = files.JailRoot,
            Layout = layout,
            // /dev/kvm is the jail user's alone; a root QEMU opens the ordinary node.
            Devices = kvm && user is null ? [.. Devices, AcceleratorProbe.KvmDevice] : Devices,
            PrivateDevices = kvm && user is not null ? [AcceleratorProbe.KvmDevice] : [],
            User = user,
            Capabilities = user is null ? FileServerCapabilities : null,
            KeepDescriptors = keepDescriptors,
            // 9p in mapped-xattr mode sets and reads the guest's owners and modes through /proc/self/fd
            OwnDescriptorDirectory = servedDirectory is not null,
        };
    }

    private static void RequireReadableByAll(string path, string field)
    {
        if ((File.GetUnixFileMode(path) & UnixFileMode.OtherRead) == 0)
            throw new HypervisorException($"{field}: {path} is not readable by other users ({File.GetUnixFileMode(path)}), and the jailed QEMU runs as a user of its own (chmod o+r, or jail=false)");
    }
}
