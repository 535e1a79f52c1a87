using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Seccomp;

namespace SandboxRt.UnitTests.Seccomp;

/// <summary>Profile builders, the Docker fixture and a one-call way to run a compiled filter.</summary>
internal static class SeccompTestProfiles
{
    public const uint Eperm = SeccompReturn.Errno | 1;

    /// <summary>AUDIT_ARCH_AARCH64 (EM_AARCH64 183 | 64-bit | little endian): an ABI no x86 profile lists.</summary>
    public const uint AuditArchAarch64 = 0xC00000B7;

    public static LinuxSeccomp Profile(string defaultAction, params LinuxSyscall[] syscalls) =>
        new() { DefaultAction = defaultAction, Syscalls = [.. syscalls] };

    public static LinuxSyscall Rule(string action, string name, params LinuxSeccompArg[] args) =>
        new() { Names = [name], Action = action, Args = args.Length == 0 ? null : [.. args] };

    public static LinuxSyscall Rule(string action, string[] names, uint? errnoRet = null) =>
        new() { Names = [.. names], Action = action, ErrnoRet = errnoRet };

    public static LinuxSeccompArg Arg(uint index, string op, ulong value, ulong valueTwo = 0) =>
        new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };

    public static LinuxSeccomp DockerProfile()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "oci-configs", "docker-run.json");
        return SpecLoader.Parse(File.ReadAllText(path), path).Linux?.Seccomp
            ?? throw new InvalidDataException($"{path} has no linux.seccomp");
    }

    public static uint Number(SyscallTable table, string name) =>
        table.TryGetNumber(name, out uint number) ? number : throw new KeyNotFoundException($"{table} has no {name}");

    /// <summary>Runs <paramref name="program"/> for the call <paramref name="name"/> of <paramref name="table"/>'s ABI.</summary>
    public static uint Run(SeccompProgram program, SyscallTable table, string name, params ulong[] args) =>
        Run(program, table.AuditArch, Number(table, name), args);

    public static uint Run(SeccompProgram program, uint arch, uint nr, params ulong[] args) =>
        ClassicBpfInterpreter.Run(program.Instructions.AsSpan(), new SeccompData(arch, nr, args));
}
