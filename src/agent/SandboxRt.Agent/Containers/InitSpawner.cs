// Starting a container's init (or an exec'd process's init) in the right namespaces without forking
// the .NET runtime.
//
// Namespaces belong to threads: unshare(2) and setns(2) change only the calling thread, and a child
// inherits the namespaces of the thread that spawned it (pid namespaces through pid_ns_for_children).
// So each spawn gets a fresh, dedicated thread that joins and unshares what the container needs, then
// posix_spawns sandboxrt-init and ends, taking
// its namespaces with it.
// The agent's own threads never change namespace. User namespaces are refused by validation (a
// multi-threaded process cannot unshare one).
using SandboxRt.Agent.Init.Native;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Containers;

internal static class InitSpawner
{
    /// <summary>
    /// Spawns sandboxrt-init (<paramref name="init"/>) with the given stdio and init socket (fd 3) and, for
    /// exec, the container's mount namespace (fd 4), after joining <paramref name="join"/> and unsharing
    /// <paramref name="unshareFlags"/> on a dedicated thread. Returns the child's pid.
    /// </summary>
    public static int Spawn(
        IReadOnlyList<(string Type, string Path)> join,
        int unshareFlags,
        SafeFdHandle[] stdio,
        SafeFdHandle initSocket,
        SafeFdHandle? mountNamespace,
        string init)
    {
        int pid = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var (type, path) in join)
                {
                    try
                    {
                        Namespaces.Join(path, NamespaceTypes.CloneFlag(type));
                    }
                    catch (SyscallException e)
                    {
                        throw new ArgumentException($"linux.namespaces ({type}): cannot join {path}: {e.Message}", e);
                    }
                }
                if (unshareFlags != 0)
                    Namespaces.Unshare(unshareFlags, "container namespaces");
                var descriptors = new List<(System.Runtime.InteropServices.SafeHandle, int)>
                {
                    (stdio[0], 0), (stdio[1], 1), (stdio[2], 2), (initSocket, NativeInit.SocketFd),
                };
                if (mountNamespace is not null)
                    descriptors.Add((mountNamespace, NativeInit.MountNamespaceFd));
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = init,
                    Arguments = [NativeInit.FileName],
                    Environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                    Descriptors = descriptors,
                    NewSession = true,
                });
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "spawn-init" };
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw failure;
        return pid;
    }
}
