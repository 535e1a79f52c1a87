using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors;

/// <summary>
/// The process serving a VM's shared directory (virtiofsd), as <see cref="VmmProcess"/> sees it: a VM
/// whose file server died is ended, and the server's last words join the VM's exit description.
/// </summary>
internal interface IFileServer
{
    int Pid { get; }

    /// <summary>Completes when the file server has exited.</summary>
    Task<WaitStatus> Exited { get; }

    /// <summary>How it ended (with its log's last line), or null while it is still running.</summary>
    Task<string?> DescribeExitAsync();

    /// <summary>Stops it and whatever it forked.</summary>
    Task StopAsync();
}
