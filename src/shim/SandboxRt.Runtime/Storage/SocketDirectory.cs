using System.Security.Cryptography;
using System.Text;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// Where a sandbox's Unix sockets live. sun_path holds 108 bytes, and a state directory under a caller's
/// --root can be longer than that on its own (Docker's is /var/run/docker/runtime-runc/moby/ plus a 64-digit
/// id), so sockets go to a short directory named by a hash of the state directory instead.
/// </summary>
public static class SocketDirectory
{
    public const string Base = "/run/sandboxrt/sock";

    public static string For(string stateDirectory)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stateDirectory)));
        return Path.Combine(Base, Convert.ToHexStringLower(hash)[..20]);
    }

    /// <summary>Removes the socket directory of a state directory (after its sockets are gone).</summary>
    public static void Remove(string stateDirectory)
    {
        try
        {
            PrivateFiles.RemoveTree(For(stateDirectory));
        }
        catch (IOException)
        {
        }
    }
}
