using System.Security.Cryptography;
using System.Text;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// Where a pod's shim lives. One directory per (containerd, namespace, pod): the daemon's socket, its
/// record of what it started, and the sandbox's state directory. Named by a hash, so that every
/// container of the pod finds the same shim, and short, so that socket paths fit in sun_path.
/// </summary>
internal static class ShimPaths
{
    public const string Root = Runtime.Monitoring.PodStatsSocket.ShimRoot;

    public static string Directory(string containerdAddress, string ns, string podId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{containerdAddress}\n{ns}\n{podId}"));
        return Path.Combine(Root, Convert.ToHexStringLower(hash)[..32]);
    }

    public static string Socket(string directory) => Path.Combine(directory, "shim.sock");

    public static string Record(string directory) => Path.Combine(directory, "pod.json");

    public static string FallbackLog(string directory) => Path.Combine(directory, "shim.log");

    /// <summary>The daemon's stderr: what the .NET runtime itself prints if the daemon crashes.</summary>
    public static string StderrLog(string directory) => Path.Combine(directory, "stderr.log");
}
