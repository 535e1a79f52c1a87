// Where the agent finds the secret its host authenticates with.
//
// In a VM: QEMU's firmware configuration device. The host starts QEMU with
//   -fw_cfg name=opt/io.sandboxrt/agent-token,file=<state>/agent-token
// and the guest's qemu_fw_cfg module (CONFIG_FW_CFG_SYSFS=m in Debian's kernel, listed in
// src/guest-image/modules.list) shows the blob at /sys/firmware/qemu_fw_cfg/by_name/<name>/raw.
// Why fw_cfg: the secret must reach the guest without being readable by other host users. The QEMU
// command line (and so the kernel command line) is world-readable in /proc/<pid>/cmdline; fw_cfg with
// file= puts only the file's path there, and the file is 0400 in the sandbox's private state directory.
// It needs no device of its own, no driver round trip, and is read once at boot before serving.
// With `serve` on a host (tests and tools): --token-file PATH, the same 32 raw bytes.
// No token means no service: the agent refuses to start rather than serve unauthenticated callers.
namespace SandboxRt.Agent.Boot;

internal static class AgentTokenSource
{
    public const string FirmwareName = Protocol.AgentAuthPreamble.FirmwareName;
    public const string FirmwarePath = "/sys/firmware/qemu_fw_cfg/by_name/" + FirmwareName + "/raw";

    /// <summary>Reads the token from fw_cfg, waiting up to <paramref name="timeout"/> for the device to be probed.</summary>
    public static async Task<byte[]> ReadFirmwareAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(FirmwarePath))
        {
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException(
                    $"no agent token at {FirmwarePath} after {timeout.TotalSeconds:F0} s: the host must start the VM with " +
                    $"-fw_cfg name={FirmwareName},file=PATH, and the guest needs the qemu_fw_cfg module" +
                    (Directory.Exists("/sys/firmware/qemu_fw_cfg") ? "" : " (no /sys/firmware/qemu_fw_cfg: the module is not loaded or found no device)"));
            await Task.Delay(10);
        }
        return ReadFile(FirmwarePath);
    }

    /// <summary>Reads a token file: exactly <see cref="Protocol.AgentAuthPreamble.TokenLength"/> bytes.</summary>
    public static byte[] ReadFile(string path)
    {
        var token = new byte[Protocol.AgentAuthPreamble.TokenLength];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        int n = stream.ReadAtLeast(token, token.Length, throwOnEndOfStream: false);
        if (n != token.Length || stream.ReadByte() != -1)
            throw new InvalidDataException($"{path}: the agent token must be exactly {token.Length} bytes");
        return token;
    }
}
