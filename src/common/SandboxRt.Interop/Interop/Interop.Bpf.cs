using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // bpf(2) has no glibc wrapper: syscall(SYS_bpf, cmd, attr, size). 321 on x86_64, 280 on arm64
    // (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h).
    internal static long SysBpf => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;

    // enum bpf_cmd (include/uapi/linux/bpf.h)
    internal const int BPF_PROG_LOAD = 5;
    internal const int BPF_PROG_ATTACH = 8;
    internal const int BPF_PROG_DETACH = 9;

    internal const int BPF_OBJ_NAME_LEN = 16;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long SyscallBpf(long number, long command, void* attr, long size);

    /// <summary>
    /// The BPF_PROG_LOAD member of union bpf_attr, up to expected_attach_type (72 bytes). The kernel
    /// accepts a shorter attr and treats the fields after it as zero.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    internal unsafe struct BpfProgLoadAttr
    {
        [FieldOffset(0)] public uint ProgType;
        [FieldOffset(4)] public uint InsnCount;
        [FieldOffset(8)] public ulong Insns;          // const struct bpf_insn *
        [FieldOffset(16)] public ulong License;       // const char *
        [FieldOffset(24)] public uint LogLevel;
        [FieldOffset(28)] public uint LogSize;
        [FieldOffset(32)] public ulong LogBuf;        // char *
        [FieldOffset(40)] public uint KernVersion;
        [FieldOffset(44)] public uint ProgFlags;
        [FieldOffset(48)] public fixed byte ProgName[BPF_OBJ_NAME_LEN];
        [FieldOffset(64)] public uint ProgIfindex;
        [FieldOffset(68)] public uint ExpectedAttachType;
    }

    /// <summary>The BPF_PROG_ATTACH/DETACH member of union bpf_attr, up to replace_bpf_fd (20 bytes).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 20)]
    internal struct BpfProgAttachAttr
    {
        [FieldOffset(0)] public uint TargetFd;
        [FieldOffset(4)] public uint AttachBpfFd;
        [FieldOffset(8)] public uint AttachType;
        [FieldOffset(12)] public uint AttachFlags;
        [FieldOffset(16)] public uint ReplaceBpfFd;
    }
}
