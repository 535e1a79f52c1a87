using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.Runtime.Hypervisors.CloudHypervisor;

/// <summary>The files one Cloud Hypervisor VM keeps in its sandbox's state directory (sockets in the short socket directory).</summary>
internal sealed class ClhStateFiles(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);
    public string Sockets { get; } = Storage.SocketDirectory.For(directory);
    public string ApiSocket => Path.Combine(Sockets, "clh-api.sock");
    /// <summary>The hybrid vsock socket: the host connects here and writes "CONNECT port".</summary>
    public string VsockSocket => Path.Combine(Sockets, "vsock.sock");
    public string ConsoleLog => Path.Combine(Directory, "console.log");
    public string HypervisorLog => Path.Combine(Directory, "cloud-hypervisor.log");
    public string CommandLine => Path.Combine(Directory, "cloud-hypervisor.cmdline");
    public string VirtiofsdSocket => Path.Combine(Sockets, "virtiofsd.sock");
    public string VirtiofsdLog => Path.Combine(Directory, "virtiofsd.log");

    public IEnumerable<string> All =>
    [
        ConsoleLog, HypervisorLog, RotatingLog.PreviousPath(HypervisorLog), ApiSocket, VsockSocket,
        CommandLine, VirtiofsdSocket, VirtiofsdLog, RotatingLog.PreviousPath(VirtiofsdLog),
    ];

    public void CreateSocketDirectory() => Storage.SocketDirectory.Create(Directory);

    public void RemoveAll()
    {
        foreach (var file in All)
        {
            try
            {
                File.Delete(file);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        Storage.SocketDirectory.Remove(Directory);
    }
}
