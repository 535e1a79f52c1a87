using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.SharedFs;

/// <summary>
/// A <see cref="VirtiofsDaemon"/> as an <see cref="IFileServer"/>. It goes once VirtiofsDaemon, which has
/// these members already, declares the interface itself.
/// </summary>
internal sealed class VirtiofsDaemonAdapter(VirtiofsDaemon daemon) : IFileServer
{
    public int Pid => daemon.Pid;
    public Task<WaitStatus> Exited => daemon.Exited;
    public Task<string?> DescribeExitAsync() => daemon.DescribeExitAsync();
    public Task StopAsync() => daemon.StopAsync();

    /// <summary>The file server of a VM that may have none.</summary>
    public static IFileServer? Of(VirtiofsDaemon? daemon) => daemon is null ? null : new VirtiofsDaemonAdapter(daemon);
}
