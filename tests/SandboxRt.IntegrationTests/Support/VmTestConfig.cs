using SandboxRt.Runtime.Configuration;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>The configuration VM tests boot with: the shipped qemu.json, the installed guest image.</summary>
internal static class VmTestConfig
{
    public static HypervisorConfig Load(Dictionary<string, string>? overrides = null)
    {
        var all = new Dictionary<string, string>
        {
            ["kernel"] = TestEnvironment.Kernel,
            ["initrd"] = TestEnvironment.Initrd,
            ["image"] = TestEnvironment.Image,
            ["jailer_path"] = TestEnvironment.Jailer,
        };
        foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
            all[k] = v;
        return HypervisorConfigLoader.Load(TestEnvironment.QemuConfig, all);
    }

    /// <summary>The shipped qemu.json with the installed guest image and the built jailer, written to <paramref name="path"/> (for clients that take a config file).</summary>
    /// <param name="coldBoot">With VM templates off (qemu.vm_template=false): every sandbox boots a kernel (always so under <see cref="TestEnvironment.TemplatesOff"/>).</param>
    public static string WriteFile(string path, bool coldBoot = false)
    {
        var text = File.ReadAllText(TestEnvironment.QemuConfig)
            .Replace("\"vm_template\": true", $"\"vm_template\": {(coldBoot || TestEnvironment.TemplatesOff ? "false" : "true")}")
            .Replace("\"/usr/share/sandboxrt/vmlinux\"", $"\"{TestEnvironment.Kernel}\"")
            .Replace("\"/usr/share/sandboxrt/initramfs.img\"", $"\"{TestEnvironment.Initrd}\"")
            .Replace("\"/usr/share/sandboxrt/rootfs.img\"", $"\"{TestEnvironment.Image}\"")
            // shims run from the test's build output (a project reference), where no jailer is published
            .Replace("\"jailer_path\": \"\"", $"\"jailer_path\": \"{TestEnvironment.Jailer}\"");
        File.WriteAllText(path, text);
        return path;
    }
}
