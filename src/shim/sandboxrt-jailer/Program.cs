// sandboxrt-jailer: the step between the host runtime and a VMM process, in the spirit of Firecracker's
// jailer. The host starts it with posix_spawn (the .NET runtime is never forked) with exactly the
// descriptors the program should get; it prepares itself on its main thread with raw system calls and
// then execve()s the program, which inherits the result. Nothing is left running: the pid the host
// spawned becomes QEMU (or virtiofsd), so the host's waitpid, kill and pid files stay right.
//
// A pid namespace of its own (--pid-ns): the caller, not the jailer, makes it. The host's spawn runs
// on a thread that unshared CLONE_NEWPID, so the jailer starts as pid 1 of a new namespace and the
// program it execs keeps that: it sees and can signal no host process, while the host still holds its
// pid in the host's namespace (its child, reaped and signalled as before; NSpid in /proc/PID/status
// shows both numbers). Making the namespace here instead would need a fork (undefined for .NET) or a
// spawned child and a parent left behind to relay its pid and exit status. The program gets no /proc
// of its own: QEMU opens nothing there (9p's /proc/self/fd is a bind of our own, below). As pid 1 it
// gets, from the host, only SIGKILL, SIGSTOP and the signals it handles (QEMU handles SIGTERM, SIGINT
// and SIGHUP); the runtime stops it through QMP and SIGKILL.
//
// The order, and why:
//  1. Parse everything first: a bad argument changes nothing on the host. With --pid-ns, check that
//     this process is pid 1, before any step.
//  2. Join the cgroups (every v1 hierarchy and/or the cgroup2 one) while this process still sees the
//     host's /sys/fs/cgroup and is still root (cgroup.procs is root's to write), and before anything
//     the program allocates: from the exec on, every page and CPU cycle of the VM is charged there.
//  3. Read the host device nodes' numbers (stat) while the host's /dev is still visible.
//  4. unshare(CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWIPC) on this thread (namespaces hang off the thread,
//     and this is the thread that will exec), then make every mount a slave: nothing mounted here
//     propagates back to the host, while mounts the host adds later still reach us. A jailed VMM has
//     no network of its own (an empty namespace: no host loopback services, no abstract Unix sockets
//     of the host; its taps, sockets and vhost devices are descriptors it inherits) and no host
//     System V IPC.
//  5. Build the root: a tmpfs with symlinks, read-only nosuid/nodev binds of exactly what the program
//     opens by path (its binary, libraries, firmware, the guest kernel and initrd), and device nodes
//     (/dev/null, zero, urandom; /dev/kvm owned by the jail user, only under KVM), and, only for a VMM
//     that serves files itself (QEMU's 9p), that shared directory read-write. Then the tmpfs itself
//     goes read-only.
//  6. pivot_root into it and lazily unmount the old root: the host's tree (/etc/shadow, /root, other
//     sandboxes' state, /proc, /sys) is no longer reachable by path.
//  7. Credentials, in the kernel's order: bounding set first (dropping needs CAP_SETPCAP), ambient
//     cleared, supplementary groups dropped, setresgid, setresuid through glibc (every thread changes),
//     inheritable cleared, no_new_privs. For a program that must stay root (virtiofsd) the bounding
//     set is narrowed to what it needs instead.
//  8. Descriptors: 0-2 and the --keep-fd ones cross exec; everything else is marked close-on-exec
//     (not closed: the runtime may still use some until exec replaces it). Last, so nothing opened by
//     the steps above can leak.
//  9. Signals back to their defaults with an empty mask (.NET ignores SIGPIPE; an ignored signal would
//     survive exec), the umask back to what the host gave, then execve with the host's environment.
// Any failure prints one line naming the step and the system call, and exits 125: the host reports it
// as the VMM's exit with that line from its log.
using SandboxRt.Interop;
using SandboxRt.Jailer;

const int JailerFailed = 125;
JailerOptions options;
try
{
    options = JailerOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"sandboxrt-jailer: {e.Message}");
    return 2;
}

string step = "";
try
{
    if (options.OwnPidNamespace)
    {
        step = "check the pid namespace";
        if (Environment.ProcessId != 1)
            throw new InvalidOperationException($"--pid-ns: this is pid {Environment.ProcessId}, not 1 of a pid namespace of its own (the caller must spawn the jailer with CLONE_NEWPID)");
    }
    step = "join the cgroups";
    var pid = Environment.ProcessId.ToString(); // read by the kernel in our pid namespace: 1 with --pid-ns is still us
    foreach (var cgroup in options.Cgroups)
    {
        try
        {
            File.WriteAllText(Path.Combine(cgroup, "cgroup.procs"), pid);
        }
        catch (IOException e)
        {
            throw new IOException($"write {pid} to {Path.Combine(cgroup, "cgroup.procs")}: {e.Message}", e);
        }
    }
    var umask = FileSystem.SetUmask(0x12 /* 022: the jail's directories are 0755 whatever the host's umask */);
    if (options.Root is { } root)
    {
        step = "read the device nodes";
        var devices = JailRoot.ReadDevices(options);
        step = "make mount, network and IPC namespaces";
        Namespaces.Unshare(0x00020000 /* CLONE_NEWNS */ | 0x40000000 /* CLONE_NEWNET */ | 0x08000000 /* CLONE_NEWIPC */,
            "mount, network and IPC namespaces for the jail");
        FileSystem.Mount(null, "/", null, MountFlags.Recursive | MountFlags.Slave);
        step = $"build the jail in {root}";
        JailRoot.Build(options, devices);
        step = "pivot_root into the jail";
        JailRoot.Enter(root);
    }
    step = "drop privileges";
    JailCredentials.Apply(options);
    step = "close the descriptors not passed on purpose";
    Descriptors.KeepOnlyAcrossExec(options.KeepDescriptors);
    step = "restore signal defaults";
    ProcessControl.RestoreDefaultSignals();
    FileSystem.SetUmask(umask);
    step = $"execve {options.Program}";
    var environment = new List<string>();
    foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        environment.Add($"{e.Key}={e.Value}");
    ProcessControl.Execute(options.Program, options.Arguments, environment);
    return JailerFailed; // Execute returns only by throwing
}
catch (Exception e) when (e is SyscallException or IOException or UnauthorizedAccessException or InvalidOperationException)
{
    Console.Error.WriteLine($"sandboxrt-jailer: {step}: {e.Message}");
    return JailerFailed;
}
