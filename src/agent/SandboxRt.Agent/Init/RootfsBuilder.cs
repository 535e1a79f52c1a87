// Building a container's root file system inside its own mount namespace (the init process's).
//
// Order, as runc does it:
//   1. make "/" a recursive slave, so nothing mounted here propagates back to the agent;
//   2. bind-mount the rootfs onto itself so that it is a mount point (pivot_root needs one);
//   3. each spec mount in order, its destination resolved inside the rootfs by SecureJoin (a ".." or a
//      symlink that leaves the rootfs is an error naming mounts[i].destination);
//   4. with a tmpfs /dev from the spec: the default device nodes, linux.devices, and the standard links;
//   5. pivot_root(".", ".") then a lazy unmount of the old root stacked under it: afterwards nothing of
//      the guest (agent, shared directory, other containers) is reachable from the container;
//   6. (Finish, after the console is set up) readonlyPaths, maskedPaths, and a read-only root.
// The agent made its own root pivotable at boot (see GuestBoot): initramfs cannot be pivoted away.
// Every mount and file operation goes through IInitSyscalls (RootfsBuilderTests check this order).
using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Agent.Init;

internal sealed class RootfsBuilder(Spec spec, string rootfs, string cgroupPath, bool newCgroupNamespace, IInitSyscalls sys)
{
    private bool _devIsTmpfs;

    public void Build()
    {
        InitStep.Run("rootfs propagation", () => sys.Mount(null, "/", null, MountFlags.Slave | MountFlags.Recursive));
        InitStep.Run("root.path", () => sys.Mount(rootfs, rootfs, null, MountFlags.Bind | MountFlags.Recursive));
        for (int i = 0; i < (spec.Mounts?.Count ?? 0); i++)
            MountOne(i, spec.Mounts![i]);
        if (_devIsTmpfs)
            CreateDevices();
        PivotRoot();
    }

    /// <summary>The steps after the console exists: read-only and masked paths, a read-only root.</summary>
    public void Finish()
    {
        var linux = spec.Linux;
        for (int i = 0; i < (linux?.ReadonlyPaths?.Count ?? 0); i++)
        {
            var path = linux!.ReadonlyPaths![i];
            if (!sys.Exists(path))
                continue;
            InitStep.Run($"linux.readonlyPaths[{i}]", () =>
            {
                sys.Mount(path, path, null, MountFlags.Bind | MountFlags.Recursive);
                sys.Mount(null, path, null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly | MountFlags.NoSuid | MountFlags.NoDev | MountFlags.NoExec);
            });
        }
        for (int i = 0; i < (linux?.MaskedPaths?.Count ?? 0); i++)
        {
            var path = linux!.MaskedPaths![i];
            if (sys.IsDirectory(path))
                InitStep.Run($"linux.maskedPaths[{i}]", () => sys.Mount("tmpfs", path, "tmpfs", MountFlags.ReadOnly, null));
            else if (sys.Exists(path))
                InitStep.Run($"linux.maskedPaths[{i}]", () => sys.Mount("/dev/null", path, null, MountFlags.Bind));
        }
        if (spec.Root?.Readonly == true)
            InitStep.Run("root.readonly", () => sys.Mount(null, "/", null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly));
        if (linux?.RootfsPropagation is { Length: > 0 } propagation)
            InitStep.Run("linux.rootfsPropagation", () => sys.Mount(null, "/", null, MountOptions.Parse([propagation]).Propagation[0]));
    }

    private void MountOne(int index, Mount m)
    {
        var field = $"mounts[{index}]";
        string destination;
        try
        {
            destination = SecureJoin.Resolve(rootfs, m.Destination);
        }
        catch (PathEscapeException e)
        {
            throw new InitStepException($"{field}.destination", e.Message);
        }
        var options = MountOptions.Parse(m.Options);
        var type = m.Type ?? (m.IsBind ? "bind" : "none");
        InitStep.Run(field, () =>
        {
            if (m.IsBind)
            {
                var source = m.Source!;
                if (!sys.Exists(source))
                    throw new InitStepException($"{field}.source", $"{source} does not exist");
                CreateTarget(destination, isFile: !sys.IsDirectory(source));
                sys.Mount(source, destination, null, MountFlags.Bind | (options.Flags & MountFlags.Recursive));
                if (options.RemountFlags != 0)
                    sys.Mount(null, destination, null, MountFlags.Remount | MountFlags.Bind | options.RemountFlags);
            }
            else if (type is "cgroup" or "cgroup2")
            {
                CreateTarget(destination, isFile: false);
                if (newCgroupNamespace)
                    sys.Mount("cgroup2", destination, "cgroup2", options.Flags & ~MountFlags.Recursive, null);
                else
                {
                    // Without a cgroup namespace, show the container its own cgroup only (as runc does on v2).
                    sys.Mount(cgroupPath, destination, null, MountFlags.Bind);
                    sys.Mount(null, destination, null, MountFlags.Remount | MountFlags.Bind | options.RemountFlags);
                }
            }
            else
            {
                CreateTarget(destination, isFile: false);
                sys.Mount(m.Source ?? type, destination, type, options.Flags & ~MountFlags.Recursive, options.Data.Length > 0 ? options.Data : null);
                if (m.Destination == "/dev" && type == "tmpfs")
                    _devIsTmpfs = true;
            }
            foreach (var propagation in options.Propagation)
                sys.Mount(null, destination, null, propagation);
        });
    }

    private void CreateTarget(string path, bool isFile)
    {
        if (isFile)
        {
            sys.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!sys.Exists(path) || sys.IsDirectory(path))
                sys.CreateFile(path);
        }
        else
        {
            sys.CreateDirectory(path);
        }
    }

    private void CreateDevices()
    {
        var dev = Path.Combine(rootfs, "dev");
        foreach (var (path, major, minor) in DefaultDevices.Nodes)
            InitStep.Run($"default device {path}", () => MakeNode(Path.Combine(rootfs, path.TrimStart('/')), true, major, minor, 0x1B6, 0, 0));
        for (int i = 0; i < (spec.Linux?.Devices?.Count ?? 0); i++)
        {
            var d = spec.Linux!.Devices![i];
            if (d.Type is not ("c" or "u" or "b"))
                continue; // fifos ("p") are not device nodes
            InitStep.Run($"linux.devices[{i}]", () =>
            {
                var target = SecureJoin.Resolve(rootfs, d.Path);
                sys.CreateDirectory(Path.GetDirectoryName(target)!);
                MakeNode(target, d.Type != "b", (uint)d.Major, (uint)d.Minor, d.FileMode ?? 0x1B6, d.Uid ?? 0, d.Gid ?? 0);
            });
        }
        foreach (var (link, target) in DefaultDevices.Links)
        {
            var at = Path.Combine(dev, link["/dev/".Length..]);
            if (!sys.Exists(at) && !sys.IsSymbolicLink(at))
                InitStep.Run($"device link {link}", () => sys.Symlink(target, at));
        }
        sys.CreateDirectory(Path.Combine(dev, "pts"));
        sys.CreateDirectory(Path.Combine(dev, "shm"));
    }

    private void MakeNode(string path, bool character, uint major, uint minor, uint mode, uint uid, uint gid)
    {
        if (sys.Exists(path))
            sys.Delete(path);
        var old = sys.SetUmask(0);
        try
        {
            sys.MakeDevice(path, character, major, minor, mode);
        }
        finally
        {
            sys.SetUmask(old);
        }
        if (uid != 0 || gid != 0)
            sys.Chown(path, uid, gid);
    }

    private void PivotRoot()
    {
        InitStep.Run("pivot_root", () =>
        {
            sys.ChangeDirectory(rootfs);
            sys.PivotRoot(".", ".");
            // The old root is now stacked under the new one at "/": detach it.
            sys.Mount(null, ".", null, MountFlags.Slave | MountFlags.Recursive);
            sys.Unmount(".", detach: true);
            sys.ChangeDirectory("/");
        });
    }
}
