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

    /// <summary>execve of what <see cref="Resolve"/> found: the plan's last operation.</summary>
    public void Execute() => Begin(InitOperation.Execute, "exec");

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
