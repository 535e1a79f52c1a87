using SandboxRt.Interop;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>The production seam: each member delegates to SandboxRt.Interop (or System.IO), nothing more.</summary>
internal sealed class LinuxInitSyscalls : IInitSyscalls
{
    public static readonly LinuxInitSyscalls Instance = new();

    private LinuxInitSyscalls()
    {
    }

    public void Mount(string? source, string target, string? fileSystemType, MountFlags flags, string? data = null) =>
        FileSystem.Mount(source, target, fileSystemType, flags, data);

    public void Unmount(string target, bool detach) => FileSystem.Unmount(target, detach);

    public void PivotRoot(string newRoot, string putOld) => FileSystem.PivotRoot(newRoot, putOld);

    public void ChangeDirectory(string path) => ProcessControl.ChangeDirectory(path);

    public void MakeDevice(string path, bool character, uint major, uint minor, uint permissions) =>
        FileSystem.MakeDevice(path, character, major, minor, permissions);

    public void Symlink(string target, string linkPath) => FileSystem.Symlink(target, linkPath);

    public void Chown(string path, uint uid, uint gid) => FileSystem.Chown(path, uid, gid);

    public bool Exists(string path) => Path.Exists(path);

    public bool IsDirectory(string path) => Directory.Exists(path);

    public bool IsSymbolicLink(string path) => new FileInfo(path).LinkTarget is not null;

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public void CreateFile(string path) => File.WriteAllBytes(path, []);

    public void WriteText(string path, string text) => File.WriteAllText(path, text);

    public void Delete(string path) => File.Delete(path);

    public void Unshare(int flags, string what) => Namespaces.Unshare(flags, what);

    public void BringUpDevice(string name) => NetworkDevices.BringUp(name);

    public void SetHostname(string name) => ProcessControl.SetHostname(name);

    public void SetDomainname(string name) => ProcessControl.SetDomainname(name);

    public void SetGroups(IReadOnlyList<uint> groups) => Credentials.SetGroups(groups);

    public void SetGid(uint gid) => Credentials.SetGid(gid);

    public void SetUid(uint uid) => Credentials.SetUid(uid);

    public void SetKeepCapabilities(bool keep) => Credentials.KeepCapabilities(keep);

    public void DropBounding(int capability) => Credentials.DropBounding(capability);

    public void SetCapabilities(ulong effective, ulong permitted, ulong inheritable) =>
        Credentials.SetCapabilities(effective, permitted, inheritable);

    public void ClearAmbient() => Credentials.ClearAmbient();

    public void RaiseAmbient(int capability) => Credentials.RaiseAmbient(capability);

    public void SetResourceLimit(int resource, ulong soft, ulong hard, string name) =>
        ProcessControl.SetResourceLimit(resource, soft, hard, name);

    public uint SetUmask(uint mask) => FileSystem.SetUmask(mask);

    public void RestoreDefaultSignals() => ProcessControl.RestoreDefaultSignals();

    public void SetNoNewPrivileges() => ProcessControl.SetNoNewPrivileges();

    public void InstallSeccomp(SeccompProgram program) => program.Install();

    public void Execute(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment) =>
        ProcessControl.Execute(path, arguments, environment);
}
