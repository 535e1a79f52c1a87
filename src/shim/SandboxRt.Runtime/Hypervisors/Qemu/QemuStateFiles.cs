namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>The files one QEMU VM keeps in its sandbox's state directory.</summary>
internal sealed class QemuStateFiles(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>The short directory for this VM's sockets (see SocketDirectory).</summary>
    public string Sockets { get; } = Storage.SocketDirectory.For(directory);
    public string ConsoleLog => Path.Combine(Directory, "console.log");
    public string HypervisorLog => Path.Combine(Directory, "qemu.log");
    public string QmpSocket => Path.Combine(Sockets, "qmp.sock");
    public string AgentSocket => Path.Combine(Sockets, "agent.sock");
    public string CommandLine => Path.Combine(Directory, "qemu.cmdline");
    public string VirtiofsdSocket => Path.Combine(Sockets, "virtiofsd.sock");
    public string VirtiofsdLog => Path.Combine(Directory, "virtiofsd.log");

    public IEnumerable<string> All => [ConsoleLog, HypervisorLog, QmpSocket, AgentSocket, CommandLine, VirtiofsdSocket, VirtiofsdLog];

    /// <summary>Creates the socket directory (root only: the sockets reach the agent and QEMU's monitor).</summary>
    public void CreateSocketDirectory()
    {
        Storage.PrivateFiles.CreateDirectory(Sockets);
    }

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
