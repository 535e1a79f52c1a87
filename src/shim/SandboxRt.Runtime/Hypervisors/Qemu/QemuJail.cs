using System.Collections.Concurrent;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors.Jail;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>
/// QEMU's jail: what its root holds and who it runs as. Everything else it uses arrives as a descriptor.
/// What QEMU opens by path is its binary, its libraries (and modules: the TCG accelerator is one), the
/// firmware directories (jail_paths), the guest kernel and initrd, files it is told to read (the agent
/// token), and the device nodes made here.
/// </summary>
internal static class QemuJail
{
    public static readonly IReadOnlyList<string> Devices = ["/dev/null", "/dev/zero", "/dev/urandom"];
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> s_libraries = new(StringComparer.Ordinal);

    public static JailSpec Build(HypervisorConfig config, string initrd, QemuStateFiles files, JailUser user, bool kvm,
        IReadOnlyList<string> cgroups, IReadOnlyList<string> privateFiles, IReadOnlyList<int> keepDescriptors)
    {
        var layout = new JailLayout();
        layout.ExposeExecutable(config.Path, s_libraries.GetOrAdd(config.Path, ElfDependencies.Resolve));
        foreach (var path in config.JailPaths.Where(Path.Exists))
            layout.Expose(path);
        RequireReadableByAll(layout.Expose(config.Kernel), "kernel");
        RequireReadableByAll(layout.Expose(initrd), "initrd");
        foreach (var file in privateFiles)
        {
            // Readable by this sandbox's QEMU and by root only.
            var real = layout.Expose(file);
            FileSystem.Chown(real, user.Uid, user.Gid);
            File.SetUnixFileMode(real, UnixFileMode.UserRead);
        }
        Directory.CreateDirectory(files.JailRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new JailSpec
        {
            Cgroups = cgroups,
            Root = files.JailRoot,
            Layout = layout,
            Devices = Devices,
            PrivateDevices = kvm ? [AcceleratorProbe.KvmDevice] : [],
            User = user,
            KeepDescriptors = keepDescriptors,
        };
    }

    private static void RequireReadableByAll(string path, string field)
    {
        if ((File.GetUnixFileMode(path) & UnixFileMode.OtherRead) == 0)
            throw new HypervisorException($"{field}: {path} is not readable by other users ({File.GetUnixFileMode(path)}), and the jailed QEMU runs as a user of its own (chmod o+r, or jail=false)");
    }
}
