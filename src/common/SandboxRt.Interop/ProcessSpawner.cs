using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// Starts processes with posix_spawn(3): no managed code runs between fork and exec (fork of the .NET
/// runtime is undefined behaviour), the child gets exactly the descriptors asked for, an empty signal
/// mask and default dispositions (.NET ignores SIGPIPE, and ignored signals survive exec).
/// Descriptors not handed over explicitly are closed in the child, including any this process inherited
/// without close-on-exec. The caller owns the child: reap it with <see cref="ChildProcesses.TryWait"/>.
/// A child asked for in a new pid namespace, or in another mount namespace, is spawned from a thread of
/// its own that entered that mount namespace and unshared CLONE_NEWPID just before (both hang off the
/// calling thread, and a thread with a pid namespace for children can start no thread of its own): no
/// other thread of ours ever changes namespace.
/// </summary>
public static class ProcessSpawner
{
    // Descriptors are first duplicated at or above this number (and above every child number), so
    // that mapping one onto its number in the child can never clobber another source.
    private const int StagingFloor = 100;

    public static unsafe int Spawn(SpawnOptions options)
    {
        var staged = new List<int>();
        var refs = new List<SafeHandle>();
        byte* actions = (byte*)NativeMemory.AllocZeroed(Interop.SpawnFileActionsSize);
        byte* attributes = (byte*)NativeMemory.AllocZeroed(Interop.SpawnAttrSize);
        byte* signals = (byte*)NativeMemory.AllocZeroed(Interop.SigsetSize);
        var strings = new List<nint>();
        try
        {
            Interop.SpawnFileActionsInit(actions);
            Interop.SpawnAttrInit(attributes);
            int maxChild = options.Descriptors.Count == 0 ? 2 : Math.Max(2, options.Descriptors.Max(d => d.ChildFd));
            int floor = Math.Max(StagingFloor, maxChild + 1);
            foreach (var (handle, childFd) in options.Descriptors)
            {
                bool added = false;
                handle.DangerousAddRef(ref added);
                refs.Add(handle);
                int source = (int)handle.DangerousGetHandle();
                int copy = Check.Io(Interop.Fcntl(source, LibC.F_DUPFD_CLOEXEC, floor), "fcntl", "F_DUPFD_CLOEXEC");
                staged.Add(copy);
                Check0(Interop.SpawnFileActionsAddDup2(actions, copy, childFd), "posix_spawn_file_actions_adddup2");
            }
            // Close whatever this process inherited without close-on-exec (a test runner's pipes, a
            // parent's sockets, the shim's ttrpc listener): the child gets the descriptors it was given
            // and nothing else. Numbers between the mapped ones are closed one by one (an action on a
            // number that is not open is not an error in glibc), everything above them at once.
            var mapped = options.Descriptors.Select(d => d.ChildFd).ToHashSet();
            for (int fd = 3; fd < maxChild; fd++)
                if (!mapped.Contains(fd))
                    Check0(Interop.SpawnFileActionsAddClose(actions, fd), "posix_spawn_file_actions_addclose", fd.ToString());
            Check0(Interop.SpawnFileActionsAddCloseFrom(actions, maxChild + 1), "posix_spawn_file_actions_addclosefrom_np");
            if (options.WorkingDirectory is { } cwd)
                Check0(Interop.SpawnFileActionsAddChdir(actions, cwd), "posix_spawn_file_actions_addchdir_np", cwd);

            short flags = Interop.POSIX_SPAWN_SETSIGMASK | Interop.POSIX_SPAWN_SETSIGDEF;
            if (options.NewSession)
                flags |= Interop.POSIX_SPAWN_SETSID;
            Interop.SigEmptySet(signals);
            Interop.SpawnAttrSetSigMask(attributes, signals);
            Interop.SigFillSet(signals);
            Interop.SpawnAttrSetSigDefault(attributes, signals);
            Interop.SpawnAttrSetFlags(attributes, flags);

            byte** argv = ToNullTerminated(options.Arguments, strings);
            var environment = options.Environment ?? CurrentEnvironment();
            byte** envp = ToNullTerminated(environment, strings);
            var (error, pid) = options.NewPidNamespace || options.MountNamespace is not null
                ? SpawnInNamespaces(options, actions, attributes, argv, envp)
                : PosixSpawn(options.Path, actions, attributes, argv, envp);
            if (error != 0)
                throw new SyscallException("posix_spawn", (Errno)error, options.Path);
            return pid;
        }
        finally
        {
            foreach (var fd in staged)
                Interop.Close(fd);
            foreach (var handle in refs)
                handle.DangerousRelease();
            Interop.SpawnFileActionsDestroy(actions);
            Interop.SpawnAttrDestroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(signals);
            foreach (var p in strings)
                NativeMemory.Free((void*)p);
        }
    }

    private static unsafe (int Error, int Pid) PosixSpawn(string path, byte* actions, byte* attributes, byte** argv, byte** envp)
    {
        int pid;
        int error = Interop.PosixSpawn(&pid, path, actions, attributes, argv, envp);
        return (error, pid);
    }

    /// <summary>
    /// posix_spawn on a fresh thread that first enters the mount namespace asked for and unshares
    /// CLONE_NEWPID when asked: the child starts in that mount namespace, as pid 1 of the new pid
    /// namespace. Everything the spawn needs is prepared before, so between the unshare and the thread's
    /// end only the posix_spawn call runs (glibc's clone with CLONE_VM|CLONE_VFORK, allowed across pid
    /// namespaces; CLONE_THREAD, which creating a thread needs, is not): nothing else is started from
    /// this thread, so nothing else lands in those namespaces or fails for being on this thread.
    /// </summary>
    private static unsafe (int Error, int Pid) SpawnInNamespaces(SpawnOptions options, byte* actions, byte* attributes, byte** argv, byte** envp)
    {
        nint a = (nint)actions, at = (nint)attributes, v = (nint)argv, e = (nint)envp;
        string path = options.Path;
        return DedicatedThread.Run("spawn-ns", () =>
        {
            if (options.MountNamespace is { } ns)
            {
                bool added = false;
                ns.DangerousAddRef(ref added);
                try
                {
                    MountNamespace.Enter(new SafeFdHandle((int)ns.DangerousGetHandle(), ownsHandle: false), $"the mount namespace for {path}");
                }
                finally
                {
                    ns.DangerousRelease();
                }
            }
            if (options.NewPidNamespace)
                Namespaces.Unshare(Namespaces.ClonePid, $"a pid namespace for {path}");
            return PosixSpawn(path, (byte*)a, (byte*)at, (byte**)v, (byte**)e);
        });
    }

    private static void Check0(int error, string call, string? argument = null)
    {
        if (error != 0)
            throw new SyscallException(call, (Errno)error, argument);
    }

    /// <summary>This process's environment as NAME=VALUE strings, less the variables named in <paramref name="without"/>.</summary>
    public static List<string> CurrentEnvironment(params string[] without)
    {
        var list = new List<string>();
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
            if (!without.Contains((string)e.Key))
                list.Add($"{e.Key}={e.Value}");
        return list;
    }

    private static unsafe byte** ToNullTerminated(IReadOnlyList<string> values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(nint));
        allocations.Add((nint)array);
        for (int i = 0; i < values.Count; i++)
        {
            int length = Encoding.UTF8.GetByteCount(values[i]);
            var bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
            allocations.Add((nint)bytes);
            Encoding.UTF8.GetBytes(values[i], new Span<byte>(bytes, length));
            bytes[length] = 0;
            array[i] = bytes;
        }
        return array;
    }
}
