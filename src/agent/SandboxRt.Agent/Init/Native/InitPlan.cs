// The plan the agent sends to sandboxrt-init: operations in the order the init runs them, each naming the
// step its errors report. The wire format is sandboxrt-init.c's (its header comment): "SRI1", then for
// each operation a byte, the step, and the operation's arguments, little-endian; a string is a u32 byte
// count and UTF-8 without NUL (a NUL would cut the string in C: refused here, naming the step).
using System.Buffers.Binary;
using System.Text;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Init.Native;

internal sealed class InitPlan
{
    public static ReadOnlySpan<byte> Magic => "SRI1"u8;

    private readonly MemoryStream _bytes = new();
    private readonly List<(InitOperation Operation, string Step)> _operations = [];

    public InitPlan() => _bytes.Write(Magic);

    /// <summary>The operations so far, for tests and logs.</summary>
    public IReadOnlyList<(InitOperation Operation, string Step)> Operations => _operations;

    public byte[] ToArray() => _bytes.ToArray();

    public void SetNamespace(string step, int fd, int cloneFlag) => Begin(InitOperation.SetNamespace, step).I32(fd).I32(cloneFlag);

    public void Unshare(string step, int flags) => Begin(InitOperation.Unshare, step).I32(flags);

    public void Terminal(string step, bool bindConsole, (ushort Rows, ushort Columns)? size) =>
        Begin(InitOperation.Terminal, step).U8(bindConsole ? (byte)1 : (byte)0).U8(size is null ? (byte)0 : (byte)1)
            .U16(size?.Rows ?? 0).U16(size?.Columns ?? 0);

    public void ResourceLimit(string step, int resource, ulong soft, ulong hard) => Begin(InitOperation.ResourceLimit, step).I32(resource).U64(soft).U64(hard);

    public void WriteFile(string step, string path, string text) => Begin(InitOperation.WriteFile, step).Str(step, path).Str(step, text);

    public void Ready() => Begin(InitOperation.Ready, "ready");

    public void ChangeDirectory(string step, string path) => Begin(InitOperation.ChangeDirectory, step).Str(step, path);

    public void DefaultSignals(string step) => Begin(InitOperation.DefaultSignals, step);

    public void Seccomp(string step, ReadOnlySpan<SockFilterInstruction> program, uint flags)
    {
        Begin(InitOperation.Seccomp, step).U32(flags).U32((uint)program.Length);
        foreach (var i in program)
            U16(i.Code).U8(i.Jt).U8(i.Jf).U32(i.K);
    }

    public void BoundingSet(string step, ulong keep, int lastCapability) => Begin(InitOperation.BoundingSet, step).U64(keep).I32(lastCapability);

    public void User(string step, uint uid, uint gid, IReadOnlyList<uint> groups)
    {
        Begin(InitOperation.User, step).U32(uid).U32(gid).U32((uint)groups.Count);
        foreach (var g in groups)
            U32(g);
    }

    public void Capabilities(string step, ulong effective, ulong permitted, ulong inheritable) =>
        Begin(InitOperation.Capabilities, step).U64(effective).U64(permitted).U64(inheritable);

    public void RaiseAmbient(string step, int capability, string name) => Begin(InitOperation.RaiseAmbient, step).I32(capability).Str(step, name);

    public void Umask(string step, uint mask) => Begin(InitOperation.Umask, step).U32(mask);

    public void NoNewPrivileges(string step) => Begin(InitOperation.NoNewPrivileges, step);

    /// <summary>
    /// Finds <paramref name="program"/> on the environment's PATH (as ExecutableResolver) and, with
    /// <paramref name="homeOfUid"/>, adds HOME from the container's /etc/passwd; before any filter goes on.
    /// </summary>
    public void Resolve(string program, IReadOnlyList<string> arguments, IReadOnlyList<string> environment, uint? homeOfUid)
    {
        const string step = "exec";
        Begin(InitOperation.Resolve, step).Str(step, program).List(step, arguments).List(step, environment)
            .U8(homeOfUid is null ? (byte)0 : (byte)1).U32(homeOfUid ?? 0);
    }

    /// <summary>
    /// Fails the init (step "exec", runc's text, status 127 or 126) unless <paramref name="program"/> is on
    /// the environment's PATH and executable: before ready, so that create fails as runc's does.
    /// </summary>
    public void CheckProgram(string program, IReadOnlyList<string> environment)
    {
        const string step = "exec";
        Begin(InitOperation.CheckProgram, step).Str(step, program).List(step, environment);
    }

    /// <summary>execve of what <see cref="Resolve"/> found: the plan's last operation.</summary>
    public void Execute() => Begin(InitOperation.Execute, "exec");

    /// <summary>mount(2) of a path as the kernel resolves it (null arguments travel as "").</summary>
    public void Mount(string step, string? source, string target, string? type, MountFlags flags, string? data = null) =>
        Begin(InitOperation.Mount, step).Str(step, source ?? "").Str(step, target).Str(step, type ?? "").U64((ulong)flags).Str(step, data ?? "");

    /// <summary>
    /// A mount on <paramref name="destination"/> resolved inside <paramref name="root"/> by the init
    /// (openat2 RESOLVE_IN_ROOT, so that earlier mounts count), created as a directory or an empty file
    /// when missing; then a remount with <paramref name="remount"/> (0: none) and each propagation change.
    /// </summary>
    public void MountInRoot(string step, string root, string destination, bool file, string? source, string? type, MountFlags flags, string? data,
        MountFlags remount, IReadOnlyList<MountFlags> propagation)
    {
        Begin(InitOperation.MountInRoot, step).Str(step, root).Str(step, destination).U8(file ? (byte)1 : (byte)0)
            .Str(step, source ?? "").Str(step, type ?? "").U64((ulong)flags).Str(step, data ?? "").U64((ulong)remount).U32((uint)propagation.Count);
        foreach (var p in propagation)
            U64((ulong)p);
    }

    /// <summary>
    /// A tmpfs at <paramref name="destination"/> inside root, as runc mounts one: over a directory that was
    /// there and without a mode= in <paramref name="data"/>, it takes that directory's mode; with
    /// <paramref name="copyUp"/> (tmpcopyup) it starts with a copy of what the directory held.
    /// </summary>
    public void TmpfsInRoot(string step, string root, string destination, string source, MountFlags flags, string data, bool copyUp,
        IReadOnlyList<MountFlags> propagation)
    {
        Begin(InitOperation.TmpfsInRoot, step).Str(step, root).Str(step, destination).Str(step, source).U64((ulong)flags).Str(step, data)
            .U8(copyUp ? (byte)1 : (byte)0).U32((uint)propagation.Count);
        foreach (var p in propagation)
            U64((ulong)p);
    }

    public void MakeDeviceInRoot(string step, string root, string path, bool character, uint major, uint minor, uint mode, uint uid, uint gid) =>
        Begin(InitOperation.MakeDeviceInRoot, step).Str(step, root).Str(step, path).U8(character ? (byte)1 : (byte)0)
            .U32(major).U32(minor).U32(mode).U32(uid).U32(gid);

    /// <summary>A symlink at <paramref name="link"/> inside root, unless something is there already.</summary>
    public void SymlinkInRoot(string step, string root, string target, string link) =>
        Begin(InitOperation.SymlinkInRoot, step).Str(step, root).Str(step, target).Str(step, link);

    public void CreateDirectoryInRoot(string step, string root, string path) => Begin(InitOperation.CreateDirectoryInRoot, step).Str(step, root).Str(step, path);

    /// <summary>pivot_root into <paramref name="rootfs"/>, then the old root detached.</summary>
    public void PivotRoot(string step, string rootfs) => Begin(InitOperation.PivotRoot, step).Str(step, rootfs);

    public void Hostname(string step, bool domain, string name) => Begin(InitOperation.Hostname, step).U8(domain ? (byte)1 : (byte)0).Str(step, name);

    /// <summary>linux.readonlyPaths: the path bound onto itself read-only, when it exists.</summary>
    public void ReadonlyPath(string step, string path) => Begin(InitOperation.ReadonlyPath, step).Str(step, path);

    /// <summary>linux.maskedPaths: a read-only tmpfs over a directory, /dev/null over anything else, nothing when missing.</summary>
    public void MaskPath(string step, string path) => Begin(InitOperation.MaskPath, step).Str(step, path);

    public void LinkUp(string step, string name) => Begin(InitOperation.LinkUp, step).Str(step, name);

    /// <summary>True when the plan has hooks: the agent sends their state JSON right after the plan.</summary>
    public bool NeedsHookState { get; private set; }

    /// <summary>Receive the state JSON the hooks read on stdin (the agent's next message after the plan).</summary>
    public void HookState()
    {
        NeedsHookState = true;
        Begin(InitOperation.HookState, "hooks");
    }

    /// <summary>A hook inside the container: the state on stdin, killed after <paramref name="timeoutSeconds"/>.</summary>
    public void Hook(string step, string path, IReadOnlyList<string> arguments, IReadOnlyList<string> environment, uint timeoutSeconds) =>
        Begin(InitOperation.Hook, step).Str(step, path).List(step, arguments).List(step, environment).U32(timeoutSeconds);

    private InitPlan Begin(InitOperation operation, string step)
    {
        _operations.Add((operation, step));
        U8((byte)operation);
        return Str(step, step);
    }

    private InitPlan List(string step, IReadOnlyList<string> values)
    {
        U32((uint)values.Count);
        foreach (var v in values)
            Str(step, v);
        return this;
    }

    private InitPlan Str(string step, string value)
    {
        if (value.Contains('\0'))
            throw new InitStepException(step, "a string with a NUL character cannot be passed to the container's init");
        var bytes = Encoding.UTF8.GetBytes(value);
        U32((uint)bytes.Length);
        _bytes.Write(bytes);
        return this;
    }

    private InitPlan U8(byte value)
    {
        _bytes.WriteByte(value);
        return this;
    }

    private InitPlan U16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _bytes.Write(b);
        return this;
    }

    private InitPlan U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.Write(b);
        return this;
    }

    private InitPlan I32(int value) => U32((uint)value);

    private InitPlan U64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        _bytes.Write(b);
        return this;
    }
}
