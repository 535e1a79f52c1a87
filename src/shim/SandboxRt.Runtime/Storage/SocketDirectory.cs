using System.Text;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// Where a sandbox's Unix sockets live. sun_path holds 108 bytes, and a state directory under a caller's
/// --root can be longer than that on its own (Docker's is /var/run/docker/runtime-runc/moby/ plus a 64-digit
/// id), so sockets go to a short directory named by a hash of the state directory instead. Each holds an
/// "owner" file naming that state directory: a sandbox that died without `delete` (its relay killed, its
/// state root removed by hand) leaves its socket directory behind, and the next launch removes the ones
/// whose owner is gone, as the jail's user pool reclaims stale reservations. The hash is SHA-256 in managed
/// code (<see cref="Sha256Digest"/>): every CLI call that reaches a sandbox needs this name, and OpenSSL's
/// start-up cost each of them a few milliseconds.
/// </summary>
public static class SocketDirectory
{
    public const string Base = "/run/sandboxrt/sock";
    private const string OwnerName = "owner";

    public static string For(string stateDirectory) => For(Base, stateDirectory);

    internal static string For(string baseDirectory, string stateDirectory)
    {
        var hash = Sha256Digest.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stateDirectory)));
        return Path.Combine(baseDirectory, Convert.ToHexStringLower(hash)[..20]);
    }

    /// <summary>
    /// Creates the socket directory of a state directory (root only: its sockets reach the agent and QEMU's
    /// monitor), naming its owner, after removing the stale ones of others.
    /// </summary>
    public static string Create(string stateDirectory) => Create(Base, stateDirectory);

    internal static string Create(string baseDirectory, string stateDirectory)
    {
        RemoveStale(baseDirectory);
        var directory = For(baseDirectory, stateDirectory);
        PrivateFiles.CreateDirectory(directory);
        PrivateFiles.WriteAllText(Path.Combine(directory, OwnerName), Path.GetFullPath(stateDirectory) + "\n");
        return directory;
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

    /// <summary>Removes the socket directories whose owner state directory no longer exists; returns how many.</summary>
    public static int RemoveStale() => RemoveStale(Base);

    internal static int RemoveStale(string baseDirectory)
    {
        if (!Directory.Exists(baseDirectory))
            return 0;
        int removed = 0;
        foreach (var directory in Directory.EnumerateDirectories(baseDirectory))
        {
            try
            {
                var owner = File.ReadAllText(Path.Combine(directory, OwnerName)).TrimEnd('\n');
                // only a directory this owner would have (never one a hash collision or a stray file names)
                if (Path.IsPathFullyQualified(owner) && For(baseDirectory, owner) == directory && !Directory.Exists(owner))
                {
                    PrivateFiles.RemoveTree(directory);
                    removed++;
                }
            }
            catch (IOException)
            {
                // no owner file (made before owners were recorded) or removed meanwhile: left alone
            }
        }
        return removed;
    }
}
