using System.Net.Sockets;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Storage;
using SandboxRt.Shim.Cache;

namespace SandboxRt.Shim.Cli;

/// <summary>
/// `start`: containerd runs it (cwd = the bundle) for every task it creates with this runtime. For the
/// first container of a pod it makes the pod's socket, hands it to a new detached shim daemon (fd 3) and
/// prints its address; for a later container of the same pod (CRI's app containers name their sandbox)
/// it prints the address of the daemon that already serves the pod. Either way it writes the address to
/// the bundle's `address` file, as containerd's runc shim does, and prints nothing else.
/// With vm_cache_number above 0 a new pod's socket goes to a cached VM's daemon instead when one is ready
/// (Cache/VmCache, Cache/VmCacheEntry), and the cache is topped up; a top-up that fails is a line on
/// stderr, never a failed start.
/// </summary>
internal static class StartCommand
{
    public static async Task<int> RunAsync(ShimFlags flags, Stream stdin, TextWriter stdout)
    {
        if (flags.Id.Length == 0 || flags.Namespace.Length == 0 || flags.Address.Length == 0)
            throw new ArgumentException("start needs -id, -namespace and -address (it is run by containerd)");
        var bundle = Environment.CurrentDirectory;
        var podId = PodIdentity.Of(flags.Id, bundle);
        var directory = ShimPaths.Directory(flags.Address, flags.Namespace, podId);
        var socketPath = ShimPaths.Socket(directory);
        var address = "unix://" + socketPath;
        if (!CanConnect(socketPath))
        {
            var configPath = RuntimeOptions.ReadConfigPath(stdin);
            var config = HypervisorConfigLoader.Load(configPath.Length > 0 ? configPath : null); // fail here, where containerd shows the error
            PrivateFiles.CreateDirectory(directory);
            using var listener = Listen(socketPath);
            if (listener is not null)
            {
                // vm_cache_number: a warm VM's daemon takes the pod when one is ready (Cache/VmCacheEntry)
                bool cache = config.VmCacheNumber > 0 && VmCache.Suits(bundle, config);
                var claimed = cache ? VmCache.TryClaim(config, Claim(flags, podId, bundle), listener) : null;
                if (claimed is null)
                    SpawnDaemon(flags, podId, socketPath, configPath, bundle, listener);
                if (cache)
                    await TopUpAsync(config, configPath, flags.Debug, claimed);
            }
        }
        File.WriteAllText(Path.Combine(bundle, "address"), address);
        stdout.Write(address);
        return 0;
    }

    private static async Task TopUpAsync(HypervisorConfig config, string configPath, bool debug, VmCacheEntryPaths? claimed)
    {
        try
        {
            await VmCache.TopUpAsync(config, configPath, debug, claimed);
        }
        catch (Exception e) when (e is IOException or SyscallException or TimeoutException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"containerd-shim-sandboxrt-v2 start: topping up the VM cache: {e.Message}");
        }
    }

    private static VmCacheClaim Claim(ShimFlags flags, string podId, string bundle) => new()
    {
        PodId = podId,
        Namespace = flags.Namespace,
        Address = flags.Address,
        EventsAddress = Daemon.ShimDaemon.EventsAddress(flags.Address),
        Bundle = bundle,
    };

    private static bool CanConnect(string socketPath)
    {
        if (!File.Exists(socketPath))
            return false;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A listening socket at the path (a stale one is replaced); null when another start won the race.</summary>
    private static SafeFdHandle? Listen(string socketPath)
    {
        if (File.Exists(socketPath))
            File.Delete(socketPath);
        try
        {
            var listener = UnixListener.Listen(socketPath);
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            return listener;
        }
        catch (SyscallException e) when (e.Errno == Errno.EADDRINUSE && CanConnect(socketPath))
        {
            return null;
        }
    }

    private static void SpawnDaemon(ShimFlags flags, string podId, string socketPath, string configPath, string bundle, SafeFdHandle listener)
    {
        var binary = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the shim's own binary");
        using var devNull = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);
        // what the runtime itself prints (an unhandled exception, a crash) must survive the daemon
        using var stderr = PrivateFiles.OpenHandle(ShimPaths.StderrLog(Path.GetDirectoryName(socketPath)!), FileMode.Append, FileAccess.Write);
        ProcessSpawner.Spawn(new SpawnOptions
        {
            Path = binary,
            Arguments = [binary, .. flags.ForDaemon(podId, socketPath, configPath)],
            Descriptors = [(devNull, 0), (devNull, 1), (stderr, 2), (listener, Daemon.ShimDaemon.ListenerFd)],
            NewSession = true,
            WorkingDirectory = bundle,
        });
    }
}
