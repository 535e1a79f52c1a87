namespace SandboxRt.Agent.Transport;

/// <summary>
/// Finds virtio-serial ports by name. Without udev there is no /dev/virtio-ports/NAME symlink:
/// the name is in /sys/class/virtio-ports/vportNpM/name and devtmpfs creates /dev/vportNpM.
/// </summary>
internal static class VirtioPorts
{
    public const string SysClassDir = "/sys/class/virtio-ports";

    public static string? FindDevice(string portName)
    {
        if (!Directory.Exists(SysClassDir))
            return null;
        foreach (var dir in Directory.EnumerateDirectories(SysClassDir))
        {
            var nameFile = Path.Combine(dir, "name");
            if (File.Exists(nameFile) && File.ReadAllText(nameFile).Trim() == portName)
                return "/dev/" + Path.GetFileName(dir);
        }
        return null;
    }
}
