using System.Security.Cryptography;
using System.Text;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// The host's half of <see cref="GuestShm"/>: a bind mount at /dev/shm whose source is a directory on a
/// host tmpfs becomes a guest tmpfs of that tmpfs's size, marked with the source's key.
/// </summary>
public static class ShmMountRewrite
{
    public const string Destination = "/dev/shm";

    /// <summary>The guest tmpfs that replaces <paramref name="mount"/>, or null when it is not a bind of a host tmpfs at /dev/shm.</summary>
    public static Mount? ForGuest(Mount mount, string hostSource)
    {
        if (!mount.IsBind || mount.Destination?.TrimEnd('/') != Destination || !Directory.Exists(hostSource))
            return null;
        FileSystemStatus fs;
        try
        {
            fs = FileSystemStatus.Of(hostSource);
        }
        catch (SyscallException)
        {
            return null;
        }
        if (!fs.IsTmpfs)
            return null;
        var options = new List<string> { "nosuid", "nodev", "noexec", "mode=1777", $"size={fs.SizeBytes}", GuestShm.KeyOption + KeyOf(hostSource) };
        if (mount.Options?.Contains("ro") == true)
            options.Add("ro");
        return new Mount { Destination = mount.Destination, Type = "tmpfs", Source = "shm", Options = options };
    }

    /// <summary>The key of a host source: the same directory gives the same guest tmpfs.</summary>
    public static string KeyOf(string hostSource) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.TrimEndingDirectorySeparator(Path.GetFullPath(hostSource)))))[..GuestShm.KeyLength];
}
