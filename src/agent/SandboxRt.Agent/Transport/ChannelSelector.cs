using SandboxRt.Agent.Boot;

namespace SandboxRt.Agent.Transport;

/// <summary>
/// Picks the guest channel: AF_VSOCK when the VM has a virtio-vsock device (virtio device id 19),
/// otherwise the named virtio-serial port. Devices are probed asynchronously after their modules
/// load, so this waits for one of them to appear.
/// </summary>
internal static class ChannelSelector
{
    private const string VirtioDevices = "/sys/bus/virtio/devices";
    private const string VirtioVsockDeviceId = "0x0013";

    public static async Task<AgentChannel> SelectAsync(KernelCommandLine options, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            bool vsock = options.Channel is "auto" or "vsock" && HasVsockDevice();
            if (vsock)
                return AgentChannel.Vsock(options.VsockPort);
            if (options.Channel is "auto" or "serial" && VirtioPorts.FindDevice(options.SerialPort) is not null)
                return AgentChannel.Serial(options.SerialPort);
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException(
                    $"no guest channel after {timeout.TotalSeconds:F0} s: no virtio-vsock device under {VirtioDevices} " +
                    $"and no virtio-serial port named '{options.SerialPort}' (sandboxrt.channel={options.Channel})");
            await Task.Delay(10);
        }
    }

    private static bool HasVsockDevice()
    {
        if (!Directory.Exists(VirtioDevices))
            return false;
        foreach (var dir in Directory.EnumerateDirectories(VirtioDevices))
        {
            var idFile = Path.Combine(dir, "device");
            if (File.Exists(idFile) && File.ReadAllText(idFile).Trim() == VirtioVsockDeviceId)
                return true;
        }
        return false;
    }
}
