using SandboxRt.Interop;
using SandboxRt.Runtime.Storage;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A sandbox's mount namespace (Storage/SharedDirectory.cs), where its shared directory has its mounts:
/// a test looks at the skeleton, the containers' root file systems and volumes there, as virtiofsd does;
/// in the host's namespace mounts/ and shared/ are empty directories.
/// </summary>
internal static class SandboxNamespace
{
    /// <summary>Where the sandbox of <paramref name="stateDirectory"/> has its namespace bound.</summary>
    public static string PathOf(string stateDirectory) => SharedDirectory.NamespacePath(stateDirectory);

    /// <summary>Runs <paramref name="action"/> in the namespace (on a thread of its own).</summary>
    public static T Run<T>(string stateDirectory, Func<T> action)
    {
        if (!MountNamespace.TryOpen(PathOf(stateDirectory), out var ns))
            throw new Xunit.Sdk.XunitException($"{stateDirectory} has no mount namespace bound at {PathOf(stateDirectory)}");
        using (ns)
            return ns.Run(action);
    }

    /// <summary>The namespace's mountinfo, split into fields (/proc/thread-self: /proc/self is the main thread's namespace's).</summary>
    public static List<string[]> MountInfo(string stateDirectory) =>
        Run(stateDirectory, () => File.ReadAllLines("/proc/thread-self/mountinfo")).Select(l => l.Split(' ')).ToList();

    /// <summary>`nsenter` arguments that run <paramref name="command"/> in the namespace.</summary>
    public static string[] Nsenter(string stateDirectory, params string[] command) => ["--mount=" + PathOf(stateDirectory), .. command];
}
