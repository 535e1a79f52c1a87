using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.Runtime.Hypervisors.Qemu;

/// <summary>The files one QEMU VM keeps in its sandbox's state directory.</summary>
internal sealed class QemuStateFiles(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>The short directory for this VM's sockets (see SocketDirectory).</summary>
    public string Sockets { get; } = Storage.SocketDirectory.For(directory);
    public string ConsoleLog => Path.Combine(Directory, "console.log");
    public string HypervisorLog => Path.Combine(Directory, "qemu.log");
    public string QmpSocket => Path.Combine(Sockets, "qmp.sock");
    public string AgentSocket => Path.Combine(Sockets, "agent.sock");
    public string CommandLine => Path.Combine(Directory, "qemu.cmdline");
    public string VirtiofsdSocket => Path.Combine(Sockets, "virtiofsd.sock");
    public string VirtiofsdLog => Path.Combine(Directory, "virtiofsd.log");

    /// <summary>The empty directory QEMU's jailer mounts its root on (in QEMU's own mount namespace only).</summary>
    public string JailRoot => Path.Combine(Directory, "jail");

    /// <summary>The uid reserved for this VM's QEMU and its owner, so that delete frees it after a crash too.</summary>
    public string JailUser => Path.Combine(Directory, "jail-user");

    /// <summary>A clone's copy of its template's RAM (QEMU's memory-backend-file), on a tmpfs of its own (Templates/GuestRamFileSystem.cs) that the jail shows QEMU writable.</summary>
    public string GuestRamDirectory => Path.Combine(Directory, GuestRamName);
    private const string GuestRamName = "guest-ram";
    public string GuestRam => Path.Combine(GuestRamDirectory, "ram");

    /// <summary>Makes <see cref="GuestRamDirectory"/> and mounts the clone's RAM tmpfs of <paramref name="bytes"/> on it.</summary>
    public void MountGuestRam(long bytes)
    {
        Storage.PrivateFiles.CreateDirectory(GuestRamDirectory);
        Templates.GuestRamFileSystem.Mount(Directory, GuestRamName, bytes);
    }

    public IEnumerable<string> All =>
    [
        ConsoleLog, RotatingLog.PreviousPath(ConsoleLog), HypervisorLog, RotatingLog.PreviousPath(HypervisorLog),
        QmpSocket, AgentSocket, CommandLine, VirtiofsdSocket, VirtiofsdLog, JailUser, GuestRam,
    ];

    /// <summary>Creates the socket directory (root only: the sockets reach the agent and QEMU's monitor).</summary>
    public void CreateSocketDirectory() => Storage.SocketDirectory.Create(Directory);

    public void RemoveAll()
    {
        Templates.GuestRamFileSystem.Unmount(Directory, GuestRamName); // the clone's RAM goes with its tmpfs, not by truncating the file
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
        foreach (var directory in new[] { JailRoot, GuestRamDirectory })
        {
            try
            {
                System.IO.Directory.Delete(directory); // not recursive: JailRoot is empty on the host (the jail's tmpfs lives in QEMU's namespace)
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        Storage.SocketDirectory.Remove(Directory);
    }
}
