namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>The files one QEMU VM keeps in its sandbox's state directory.</summary>
internal sealed class QemuStateFiles(string directory)
{
    public string Directory { get; } = directory;
    public string ConsoleLog => Path.Combine(Directory, "console.log");
    public string HypervisorLog => Path.Combine(Directory, "qemu.log");
    public string QmpSocket => Path.Combine(Directory, "qmp.sock");
    public string AgentSocket => Path.Combine(Directory, "agent.sock");
    public string CommandLine => Path.Combine(Directory, "qemu.cmdline");
    public string VirtiofsdSocket => Path.Combine(Directory, "virtiofsd.sock");
    public string VirtiofsdLog => Path.Combine(Directory, "virtiofsd.log");

    public IEnumerable<string> All => [ConsoleLog, HypervisorLog, QmpSocket, AgentSocket, CommandLine, VirtiofsdSocket, VirtiofsdLog];

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
    }
}
