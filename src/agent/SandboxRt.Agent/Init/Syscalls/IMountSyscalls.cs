using SandboxRt.Interop;

namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>Mounts and the root switch: mount(2), umount2(2), pivot_root(2), chdir(2), mknod(2), symlink(2), chown(2).</summary>
internal interface IMountSyscalls
{
    void Mount(string? source, string target, string? fileSystemType, MountFlags flags, string? data = null);

    void Unmount(string target, bool detach);

    void PivotRoot(string newRoot, string putOld);

    void ChangeDirectory(string path);

    void MakeDevice(string path, bool character, uint major, uint minor, uint permissions);

    void Symlink(string target, string linkPath);

    void Chown(string path, uint uid, uint gid);
}
