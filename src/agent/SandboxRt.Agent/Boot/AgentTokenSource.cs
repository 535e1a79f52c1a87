// Where the agent finds the secret its host authenticates with.
//
// In a VM, one of two firmware channels, whichever the hypervisor has:
//   QEMU: its firmware configuration device. The host starts QEMU with
//     -fw_cfg name=opt/io.sandboxrt/agent-token,file=<state>/agent-token
//   and the guest kernel (CONFIG_FW_CFG_SYSFS) shows the blob at /sys/firmware/qemu_fw_cfg/by_name/<name>/raw.
//   Cloud Hypervisor: it has no fw_cfg, but writes the strings of vm.create's platform.oem_strings into the
//   guest's SMBIOS table (an OEM strings structure, type 11). The host puts
//   "io.sandboxrt.agent-token=<64 hex digits>" there (Protocol/AgentTokenOemString.cs), and the guest kernel
//   (CONFIG_DMI, built in on x86) shows the whole table root-only at /sys/firmware/dmi/tables/DMI.
// Why these channels: the secret must reach the guest without being readable by other host users. The
// hypervisor's command line (and so the kernel command line) is world-readable in /proc/<pid>/cmdline;
// fw_cfg with file= puts only the file's path there (the file is 0400 in the sandbox's private state
// directory), and vm.create's body travels over Cloud Hypervisor's API socket in a root-only directory.
// Neither needs a device of its own or a driver round trip; both are read once at boot, before serving.
// The SMBIOS table is in place before /init runs and never changes, so it is read once; fw_cfg appears when
// its driver has probed, so it is waited for.
// With `serve` on a host (tests and tools): --token-file PATH, the same 32 raw bytes.
// No token means no service: the agent refuses to start rather than serve unauthenticated callers.
namespace SandboxRt.Agent.Boot;

internal static class AgentTokenSource
{
    public const string FirmwareName = Protocol.AgentAuthPreamble.FirmwareName;
    public const string FirmwarePath = "/sys/firmware/qemu_fw_cfg/by_name/" + FirmwareName + "/raw";
    public const string SmbiosTablePath = "/sys/firmware/dmi/tables/DMI";

    /// <summary>
    /// Reads the token from the SMBIOS OEM strings or from fw_cfg, waiting up to <paramref name="timeout"/>
    /// for fw_cfg to be probed; <paramref name="root"/> is "/" except in tests. Returns the token and where it was.
    /// </summary>
    public static async Task<(byte[] Token, string Source)> ReadFirmwareAsync(TimeSpan timeout, string root = "/")
    {
        string smbios = Under(root, SmbiosTablePath), fwCfg = Under(root, FirmwarePath);
        if (File.Exists(smbios) && FromSmbios(File.ReadAllBytes(smbios), smbios) is { } fromTable)
            return (fromTable, "the SMBIOS OEM strings");
        var deadline = DateTime.UtcNow + timeout;
        while (!File.Exists(fwCfg))
        {
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException(
                    $"no agent token at {fwCfg} after {timeout.TotalSeconds:F0} s, nor an SMBIOS OEM string {Protocol.AgentTokenOemString.Prefix}... in " +
                    $"{smbios}{(File.Exists(smbios) ? "" : " (absent)")}: QEMU must be started with -fw_cfg name={FirmwareName},file=PATH, " +
                    "Cloud Hypervisor with the token in vm.create's platform.oem_strings" +
                    (Directory.Exists(Under(root, "/sys/firmware/qemu_fw_cfg")) ? "" : " (no /sys/firmware/qemu_fw_cfg: the kernel found no fw_cfg device)"));
            await Task.Delay(10);
        }
        return (ReadFile(fwCfg), "fw_cfg");
    }

    /// <summary>The token among the table's OEM strings, or null when none carries one.</summary>
    public static byte[]? FromSmbios(ReadOnlySpan<byte> table, string path)
    {
        foreach (var value in SmbiosOemStrings.Read(table))
        {
            try
            {
                if (Protocol.AgentTokenOemString.Parse(value) is { } token)
                    return token;
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        return null;
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

    private static string Under(string root, string path) => root == "/" ? path : Path.Combine(root, path.TrimStart('/'));
}
