using System.Net.Sockets;
using SandboxRt.Interop;
using SandboxRt.Runtime.Hypervisors.Jail;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Hypervisors.SharedFs;

/// <summary>
/// Debian's C virtiofsd serving one sandbox's shared directory over vhost-user, exiting on its own when
/// QEMU disconnects. The host makes the listening socket (in the root-only socket directory) and passes
/// it as --fd=3, connects to it itself, unlinks the path, and hands the connected end to QEMU: nobody
/// else can ever connect, and virtiofsd writes no /run/virtiofsd/&lt;socket path&gt;.pid (it only does
/// for --socket-path), which it left behind for every sandbox.
///
/// virtiofsd stays root, on purpose. It serves a root guest's files as their owners: per request it
/// switches its fsuid/fsgid to the guest caller's ids and creates files with the guest's owners and
/// modes, which needs CAP_SETUID/CAP_SETGID, CAP_CHOWN, CAP_FOWNER, CAP_FSETID and CAP_DAC_OVERRIDE (to
/// reach files of any owner); its own sandbox (a mount, pid and net namespace with pivot_root into the
/// shared directory, then seccomp) needs CAP_SYS_ADMIN, and it narrows its own capability sets with
/// CAP_SETPCAP. An unprivileged virtiofsd could only serve files as one user. What the jailer does for
/// it: the pod's cgroup, no inherited descriptors, the bounding set narrowed to exactly those
/// capabilities, no_new_privs. -o modcaps=-mknod: the guest cannot make device nodes on the host.
///
/// Extended attributes (-o xattr, with <see cref="XattrMap"/>): the guest reads and writes files'
/// security.capability, so the file capabilities an image was built with (`setcap
/// cap_net_bind_service+ep`, as ingress-nginx's controller has) take effect in the container as under
/// runc, and `setcap` or a package manager that sets them works (CAP_SETFCAP, kept for that). Without
/// xattrs every getxattr failed with EOPNOTSUPP and such a binary ran with no capability. A file the
/// guest gives capabilities is in the class of the setuid files it can make already (docs/security.md,
/// Known gaps): the host's views of the share are nosuid, which ignores both. Every other security.* name (security.selinux,
/// security.ima) and trusted.* (overlayfs' own) is refused with EPERM and hidden from listxattr: the
/// guest has no use for the host's labels and must not set them. user.* and the rest pass.
///
/// It starts in the sandbox's mount namespace (where the shared directory has its mounts) and runs in
/// its own mount namespace as a slave of that one (its own sandbox), so bind mounts added under the
/// shared directory later reach it. No pid namespace from the jailer (unlike QEMU's): virtiofsd's
/// sandbox forks its server into one of its own, where it is pid 1 and alone; the parent it leaves in
/// waitpid (in ours, the pid we hold) serves no request. --rlimit-nofile=0: raising the limit needs
/// CAP_SYS_RESOURCE, which some hosts lack.
/// </summary>
internal sealed class VirtiofsDaemon : IFileServer
{
    private const int ListenFdInChild = 3;

    // linux/capability.h numbers of what virtiofsd keeps (see above).
    private static readonly int[] Capabilities =
    [
        0,  // CAP_CHOWN
        1,  // CAP_DAC_OVERRIDE
        3,  // CAP_FOWNER
        4,  // CAP_FSETID
        6,  // CAP_SETGID
        7,  // CAP_SETUID
        8,  // CAP_SETPCAP
        21, // CAP_SYS_ADMIN
        31, // CAP_SETFCAP
    ];

    /// <summary>
    /// virtiofsd's xattr rules (first match wins; client names for get/set/remove, server names for
    /// listxattr): security.capability passes, the rest of security.* and trusted.* are refused and
    /// hidden, anything else passes.
    /// </summary>
    internal const string XattrMap = ":ok:all:security.capability:security.capability::bad:all:security.:security.::bad:all:trusted.:trusted.::ok:all:::";

    private readonly ChildProcess _process;

    private VirtiofsDaemon(ChildProcess process, string logPath, Task logPumped)
    {
        _process = process;
        LogPath = logPath;
        LogPumped = logPumped;
        // virtiofsd exits on its own when QEMU goes: its forked server goes with it and the leader is
        // reaped at once, not left a zombie in the pod's cgroup until someone stops the VM object.
        _ = process.Exited.ContinueWith(_ => process.StopGroupAsync(TimeSpan.Zero), TaskScheduler.Default).Unwrap();
    }

    /// <summary>Completes when virtiofsd's output has all reached its log (it and its server have exited).</summary>
    public Task LogPumped { get; }

    public int Pid => _process.Pid;
    public string LogPath { get; }
    public Task<WaitStatus> Exited => _process.Exited;

    /// <summary>Starts virtiofsd (through the jailer when <paramref name="jailer"/> is given) and returns it with the connection QEMU gets.</summary>
    /// <param name="ns">The mount namespace <paramref name="directory"/> has its mounts in (Storage.SharedDirectory): virtiofsd starts there; null: ours.</param>
    /// <param name="logMaxBytes">virtiofsd's log is bounded (RotatingLog): the guest's requests can make it log.</param>
    public static (VirtiofsDaemon Daemon, Socket Connection) Start(string binary, string directory, MountNamespace? ns, string cache, string socketPath, string logPath, long logMaxBytes,
        string? jailer, IReadOnlyList<string> cgroups)
    {
        var daemon = StartListening(binary, directory, ns, cache, socketPath, logPath, logMaxBytes, jailer, cgroups);
        try
        {
            // The listening socket exists already: this connects at once, before virtiofsd accepts.
            var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                connection.Connect(new UnixDomainSocketEndPoint(socketPath));
            }
            catch
            {
                connection.Dispose();
                throw;
            }
            return (daemon, connection);
        }
        catch (SocketException e)
        {
            daemon.StopAsync().GetAwaiter().GetResult();
            throw new HypervisorException($"virtiofsd: connect {socketPath}: {e.Message}", e);
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    /// <summary>
    /// Starts virtiofsd on a listening socket at <paramref name="socketPath"/> for a VMM that connects by
    /// path (Cloud Hypervisor's vm.add-fs). The socket lives in the root-only socket directory; virtiofsd
    /// serves the first connection only, so the VMM's is the one it gets.
    /// </summary>
    /// <param name="cache">virtiofsd's cache mode (none, auto, always: <see cref="Configuration.HypervisorConfig.VirtiofsdCacheOption"/>).</param>
    public static VirtiofsDaemon StartListening(string binary, string directory, MountNamespace? ns, string cache, string socketPath, string logPath, long logMaxBytes,
        string? jailer, IReadOnlyList<string> cgroups)
    {
        File.Delete(socketPath);
        using var listener = UnixListener.Listen(socketPath, backlog: 1);
        using var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite);
        var (log, logPumped) = Diagnostics.LogPump.StartPipe(logPath, logMaxBytes, "virtiofsd's output");
        using var _ = log; // virtiofsd has its own copy once spawned
        var program = ProgramArguments(binary, directory, cache);
        var argv = jailer is null ? program
            : JailerCommand.Build(jailer, new JailSpec { Cgroups = cgroups, Capabilities = Capabilities, KeepDescriptors = [ListenFdInChild] }, program);
        var process = ChildProcess.StartGroupLeader(new SpawnOptions
        {
            Path = argv[0],
            Arguments = argv,
            Environment = HelperEnvironment.Variables,
            Descriptors = [(devNull, 0), (log, 1), (log, 2), (listener, ListenFdInChild)],
            NewSession = true,
            MountNamespace = ns?.Handle,
        }, "virtiofsd");
        return new VirtiofsDaemon(process, logPath, logPumped);
    }

    /// <summary>
    /// virtiofsd's command line. An -o value is a comma-separated list that libfuse's option parser splits,
    /// so the directory's commas and backslashes are escaped with a backslash (a --root such as
    /// "/srv/a,b" made virtiofsd look for "/srv/a").
    /// </summary>
    internal static List<string> ProgramArguments(string binary, string directory, string cache) =>
        [binary, $"--fd={ListenFdInChild}", "-o", $"source={directory.Replace(@"\", @"\\").Replace(",", @"\,")}", "-o", $"cache={cache}",
         "-o", "announce_submounts", "-o", "no_posix_lock", "-o", "xattr", "-o", $"xattrmap={XattrMap}", "-o", "modcaps=-mknod", "--rlimit-nofile=0"];

    /// <summary>How virtiofsd ended, with the last line of its log, for a VM that died with it.</summary>
    public async Task<string?> DescribeExitAsync()
    {
        if (!_process.HasExited)
            return null;
        try
        {
            await LogPumped.WaitAsync(TimeSpan.FromSeconds(2)); // its last words, once every writer is gone
        }
        catch (TimeoutException)
        {
            // its forked server still holds the pipe: describe it with what has arrived
        }
        var last = Diagnostics.LogTail.Read(LogPath, 1);
        return $"virtiofsd (pid {Pid}) {await _process.Exited}{(last.Count > 0 ? ": " + last[0] : "")}";
    }

    /// <summary>Stops virtiofsd and the sandboxed server it forked: they share its process group (its own session).</summary>
    public Task StopAsync() => _process.StopGroupAsync(TimeSpan.FromSeconds(2));
}
