using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>Small initramfs images for fault tests: busybox-static with a shell script as /init.</summary>
internal static class TestInitramfs
{
    public const string Busybox = "/bin/busybox";

    /// <summary>Writes an initramfs whose /init runs <paramref name="script"/> under busybox sh.</summary>
    public static string WithInitScript(ScratchDirectory dir, string name, string script)
    {
        TestEnvironment.RequireFile(Busybox, "busybox-static (apt-get install busybox-static)");
        TestEnvironment.RequireCommand("cpio", "cpio");
        var root = dir.Combine(name + "-root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy(Busybox, Path.Combine(root, "bin", "busybox"));
        File.WriteAllText(Path.Combine(root, "init"), "#!/bin/busybox sh\n" + script + "\n");
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0b111_101_101);
        var image = dir.Combine(name + ".img");
        using var cpio = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"cd '{root}' && find . | cpio --quiet -o -H newc > '{image}'"]))!;
        cpio.WaitForExit();
        Assert.Equal(0, cpio.ExitCode);
        return image;
    }
}
