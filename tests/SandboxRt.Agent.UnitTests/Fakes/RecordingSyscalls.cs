// A recording fake of container init's syscall seam (youki's runtimetest records its Syscall trait the
// same way). Every call is appended to Calls as one line, "<syscall> <arguments>", so that a test can
// assert the order of whole steps; a call matched by FailWhen is recorded and then fails with its errno,
// as the kernel would. The file operations act for real on a scratch directory: before pivot_root paths
// are taken as they are (the spec's root.path is a scratch directory), after it they resolve under the
// directory pivot_root made the root, so "/proc/sys" then means <rootfs>/proc/sys. Kernel writes
// (sysctls, oom_score_adj) and device nodes are only recorded (a placeholder file stands in for a node).
using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.UnitTests.Fakes;

internal sealed class RecordingSyscalls : IInitSyscalls
{
    private readonly List<(string Prefix, Errno Errno)> _failures = [];
    private string _root = "/";
    private string _cwd = "/";
    private uint _umask = 0x12; // 0022

    public List<string> Calls { get; } = [];

    /// <summary>The umask the process would have now.</summary>
    public uint Umask => _umask;

    /// <summary>Makes every call whose line starts with <paramref name="prefix"/> fail with <paramref name="errno"/>.</summary>
    public RecordingSyscalls FailWhen(string prefix, Errno errno)
    {
        _failures.Add((prefix, errno));
        return this;
    }

    public void Mount(string? source, string target, string? fileSystemType, MountFlags flags, string? data = null) =>
        Record("mount", source ?? "none", target, fileSystemType ?? "none", flags.ToString().Replace(", ", "|"), data);

    public void Unmount(string target, bool detach) => Record("umount2", target, detach ? "MNT_DETACH" : "0");

    public void PivotRoot(string newRoot, string putOld)
    {
        Record("pivot_root", newRoot, putOld);
        _root = Host(newRoot);
        _cwd = "/";
    }

    public void ChangeDirectory(string path)
    {
        Record("chdir", path);
        _cwd = Path.GetFullPath(path, _cwd);
    }

    public void MakeDevice(string path, bool character, uint major, uint minor, uint permissions)
    {
        Record("mknod", path, character ? "c" : "b", $"{major}:{minor}", Convert.ToString(permissions, 8));
        File.WriteAllBytes(Host(path), []);
    }

    public void Symlink(string target, string linkPath)
    {
        Record("symlink", target, linkPath);
        File.CreateSymbolicLink(Host(linkPath), target);
    }

    public void Chown(string path, uint uid, uint gid) => Record("chown", path, $"{uid}:{gid}");

    public bool Exists(string path) => Path.Exists(Host(path));

    public bool IsDirectory(string path) => Directory.Exists(Host(path));

    public bool IsSymbolicLink(string path) => new FileInfo(Host(path)).LinkTarget is not null;

    public void CreateDirectory(string path) => Directory.CreateDirectory(Host(path));

    public void CreateFile(string path) => File.WriteAllBytes(Host(path), []);

    public void WriteText(string path, string text) => Record("write", path, text);

    public void Delete(string path) => File.Delete(Host(path));

    public void Unshare(int flags, string what) => Record("unshare", what);

    public void BringUpDevice(string name) => Record("link_up", name);

    public void SetHostname(string name) => Record("sethostname", name);

    public void SetDomainname(string name) => Record("setdomainname", name);

    public void SetGroups(IReadOnlyList<uint> groups) => Record("setgroups", string.Join(',', groups));

    public void SetGid(uint gid) => Record("setresgid", gid.ToString());

    public void SetUid(uint uid) => Record("setresuid", uid.ToString());

    public void SetKeepCapabilities(bool keep) => Record("prctl", "PR_SET_KEEPCAPS", keep ? "1" : "0");

    public void DropBounding(int capability) => Record("prctl", "PR_CAPBSET_DROP", CapabilityName(capability));

    public void SetCapabilities(ulong effective, ulong permitted, ulong inheritable) =>
        Record("capset", $"e={effective:x}", $"p={permitted:x}", $"i={inheritable:x}");

    public void ClearAmbient() => Record("prctl", "PR_CAP_AMBIENT_CLEAR_ALL");

    public void RaiseAmbient(int capability) => Record("prctl", "PR_CAP_AMBIENT_RAISE", CapabilityName(capability));

    public void SetResourceLimit(int resource, ulong soft, ulong hard, string name) => Record("setrlimit", name, soft.ToString(), hard.ToString());

    public uint SetUmask(uint mask)
    {
        Record("umask", Convert.ToString(mask, 8));
        var old = _umask;
        _umask = mask;
        return old;
    }

    public void RestoreDefaultSignals() => Record("rt_sigaction", "SIG_DFL");

    public void SetNoNewPrivileges() => Record("prctl", "PR_SET_NO_NEW_PRIVS");

    public void InstallSeccomp(SeccompProgram program) => Record("seccomp", "SECCOMP_SET_MODE_FILTER", $"{program.Instructions.Length} instructions");

    public void Execute(string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment) =>
        Record("execve", path, $"[{string.Join(' ', arguments)}]");

    /// <summary>The host path the simulated process means by <paramref name="path"/> (relative to its cwd, under its root).</summary>
    private string Host(string path)
    {
        var simulated = Path.GetFullPath(path, _cwd);
        return _root == "/" ? simulated : Path.Join(_root, simulated);
    }

    private static string CapabilityName(int capability) => Oci.Validation.CapabilityNames.NameOf(capability);

    private void Record(string syscall, params string?[] arguments)
    {
        var line = string.Join(' ', arguments.Where(a => a is not null).Prepend(syscall));
        Calls.Add(line);
        foreach (var (prefix, errno) in _failures)
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                throw new SyscallException(syscall, errno, arguments);
    }
}
