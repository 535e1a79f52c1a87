namespace SandboxRt.Agent.Boot;

/// <summary>
/// The agent's options on the kernel command line (sandboxrt.*). The kernel does not pass dotted
/// parameters to init, so they are read from /proc/cmdline.
///   sandboxrt.debug=1            log debug lines to the console
///   sandboxrt.channel=auto|vsock|serial   which transport to serve (auto: vsock when a device exists)
///   sandboxrt.port=1024          the vsock port
///   sandboxrt.serial=agent.channel.0      the virtio-serial port name
///   sandboxrt.warmup=1           a template VM: build and remove a container before serving (Boot/TemplateWarmUp.cs)
/// </summary>
internal sealed record KernelCommandLine(bool Debug, string Channel, uint VsockPort, string SerialPort, bool WarmUp = false)
{
    public const uint DefaultVsockPort = 1024;
    public const string DefaultSerialPort = "agent.channel.0";

    public static KernelCommandLine Parse(string cmdline)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!word.StartsWith("sandboxrt.", StringComparison.Ordinal))
                continue;
            int eq = word.IndexOf('=');
            options[eq < 0 ? word[10..] : word[10..eq]] = eq < 0 ? "1" : word[(eq + 1)..];
        }
        return new KernelCommandLine(
            Debug: options.GetValueOrDefault("debug") is "1" or "true",
            Channel: options.GetValueOrDefault("channel") ?? "auto",
            VsockPort: uint.TryParse(options.GetValueOrDefault("port"), out var port) ? port : DefaultVsockPort,
            SerialPort: options.GetValueOrDefault("serial") ?? DefaultSerialPort,
            WarmUp: options.GetValueOrDefault("warmup") is "1" or "true");
    }

    public static KernelCommandLine Read() =>
        Parse(File.Exists("/proc/cmdline") ? File.ReadAllText("/proc/cmdline") : "");
}
