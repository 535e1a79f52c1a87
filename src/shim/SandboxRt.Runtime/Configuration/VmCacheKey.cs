using System.Security.Cryptography;
using System.Text;

namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// What a cached VM was made from, hashed (the configuration as loaded, overrides included, the running binary,
/// the guest kernel, initrd and root image, by <see cref="FileStamp"/>): a sandbox only takes a cached VM whose
/// key is the one its own configuration gives, so that after any of them changes the old entries are no
/// longer taken, and end at their idle timeout. For both VM caches (the shim's and the CLI's).
/// </summary>
public static class VmCacheKey
{
    public static string For(HypervisorConfig config)
    {
        var key = new StringBuilder();
        // the configuration as loaded: its file, and the overrides of this call (the CLI's --config-option)
        key.Append(System.Text.Json.JsonSerializer.Serialize(config, ConfigJsonContext.Default.HypervisorConfig)).Append('\n');
        foreach (var file in new[] { Environment.ProcessPath ?? "", config.Kernel, config.Initrd, config.Image })
            key.Append(file).Append(' ').Append(FileStamp.Of(file)).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..16];
    }
}
