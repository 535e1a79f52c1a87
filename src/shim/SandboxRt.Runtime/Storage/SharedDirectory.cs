// The host side of a sandbox's shared directory: <state>/shared, exported to the guest by virtiofsd
// (or QEMU's 9p server). Container root file systems and bind-mount sources are bind-mounted under
// it as <container>/rootfs and <container>/mounts/<n>, and the guest mounts them from there.
//
// The directory is bind-mounted onto itself and made a shared mount first: virtiofsd runs in its own
// mount namespace as a slave copy, and only mounts made under a shared mount propagate into it.
// Everything is unmounted (deepest first, lazily) when a container or the sandbox goes away.
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Storage;

public sealed class SharedDirectory
{
    private SharedDirectory(string path) => Path = path;

    public string Path { get; }

    public static SharedDirectory Create(string stateDirectory)
    {
        var path = System.IO.Path.Combine(stateDirectory, "shared");
        Directory.CreateDirectory(path);
        if (!MountTable.Under(path).Contains(path))
        {
            FileSystem.Mount(path, path, null, MountFlags.Bind);
            FileSystem.Mount(null, path, null, MountFlags.Private);
            FileSystem.Mount(null, path, null, MountFlags.Shared);
        }
        return new SharedDirectory(path);
    }

    /// <summary>Opens an existing shared directory (a later CLI invocation for the same sandbox).</summary>
    public static SharedDirectory Open(string stateDirectory) => new(System.IO.Path.Combine(stateDirectory, "shared"));

    /// <summary>Bind-mounts a container's root file system; returns its path relative to the shared directory.</summary>
    public string AddRootfs(string containerId, string hostRootfs, bool readOnly)
    {
        if (!Directory.Exists(hostRootfs))
            throw new DirectoryNotFoundException($"root.path: {hostRootfs} does not exist or is not a directory");
        var relative = $"{containerId}/rootfs";
        BindInto(hostRootfs, relative, directory: true, readOnly, recursive: true);
        return relative;
    }

    /// <summary>Bind-mounts the source of mounts[index]; returns its path relative to the shared directory.</summary>
    public string AddMountSource(string containerId, int index, string hostSource, bool readOnly, bool recursive)
    {
        bool directory = Directory.Exists(hostSource);
        if (!directory && !File.Exists(hostSource))
            throw new FileNotFoundException($"mounts[{index}].source: {hostSource} does not exist");
        var relative = $"{containerId}/mounts/{index}";
        BindInto(hostSource, relative, directory, readOnly, recursive);
        return relative;
    }

    /// <summary>Unmounts and removes everything of one container.</summary>
    public void RemoveContainer(string containerId) => UnmountAndDelete(System.IO.Path.Combine(Path, containerId));

    /// <summary>Unmounts and removes the whole directory, including its own bind mount.</summary>
    public void Remove() => UnmountAndDelete(Path);

    private void BindInto(string source, string relative, bool directory, bool readOnly, bool recursive)
    {
        var target = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(directory ? target : System.IO.Path.GetDirectoryName(target)!);
        if (!directory && !File.Exists(target))
            File.WriteAllBytes(target, []);
        FileSystem.Mount(source, target, null, MountFlags.Bind | (recursive ? MountFlags.Recursive : 0));
        if (readOnly)
            FileSystem.Mount(null, target, null, MountFlags.Remount | MountFlags.Bind | MountFlags.ReadOnly);
    }

    private static void UnmountAndDelete(string path)
    {
        foreach (var point in MountTable.Under(path))
            FileSystem.TryUnmount(point, detach: true);
        // Never delete recursively through a mount: that would delete a container's real files.
        var left = MountTable.Under(path);
        if (left.Count > 0)
            throw new IOException($"cannot remove {path}: still mounted at {string.Join(", ", left)}");
        // A mount point in another mount namespace cannot be removed (EBUSY) until that namespace goes:
        // virtiofsd's sandbox holds slave copies of these mounts for a moment after QEMU has quit.
        for (int attempt = 0; Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true); // only empty directories and file placeholders remain
            }
            catch (IOException) when (attempt < 100)
            {
                Thread.Sleep(50);
            }
        }
    }
}
