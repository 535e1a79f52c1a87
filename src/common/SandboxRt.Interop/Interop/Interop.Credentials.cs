using System.Runtime.InteropServices;
using Tmds.Linux;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // glibc's wrappers apply these to every thread of the process (the setxid broadcast).
    internal static int SetResUid(uint ruid, uint euid, uint suid) => LibC.setresuid(ruid, euid, suid);

    internal static int SetResGid(uint rgid, uint egid, uint sgid) => LibC.setresgid(rgid, egid, sgid);

    internal static unsafe int SetGroups(nuint size, uint* groups) => LibC.setgroups((size_t)(ulong)size, (gid_t*)groups);

    // Ours: capget/capset have no usable glibc prototypes and no Tmds.LibC declaration: raw syscalls 125 and 126 on x86_64.
    internal const long SysCapget = 125;
    internal const long SysCapset = 126;
    internal const uint LinuxCapabilityVersion3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    internal struct CapUserHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CapUserData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    internal static unsafe partial long SyscallCap(long number, CapUserHeader* header, CapUserData* data);
}
