using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace SandboxRt.Interop;

/// <summary>
/// bpf(2) for the cgroup v2 device controller: loading a BPF_PROG_TYPE_CGROUP_DEVICE program and
/// attaching it to (or detaching it from) a cgroup directory. Constants from include/uapi/linux/bpf.h.
/// </summary>
public static class BpfPrograms
{
    private const uint BPF_PROG_TYPE_CGROUP_DEVICE = 15; // enum bpf_prog_type
    private const uint BPF_CGROUP_DEVICE = 6;            // enum bpf_attach_type
    private const uint BPF_F_ALLOW_MULTI = 1u << 1;
    private const int InstructionSize = 8;               // sizeof(struct bpf_insn)
    private const int VerifierLogSize = 64 * 1024;
    private const int LoggedTail = 2000;                 // how much of the verifier log an error quotes

    /// <summary>
    /// Loads encoded eBPF instructions (8 bytes each) as a cgroup device program. When the kernel refuses,
    /// the load is repeated with a verifier log, and the exception quotes the end of that log.
    /// </summary>
    /// <param name="name">Shown by bpftool; at most 15 characters of [A-Za-z0-9_.].</param>
    public static SafeFdHandle LoadCgroupDevice(ReadOnlySpan<byte> instructions, string license, string name = "")
    {
        if (instructions.Length == 0 || instructions.Length % InstructionSize != 0)
            throw new ArgumentException($"{instructions.Length} bytes is not a whole number of 8-byte instructions", nameof(instructions));
        if (Load(instructions, license, name, logSize: 0, out var errno, out _) is { } fd)
            return fd;
        if (Load(instructions, license, name, VerifierLogSize, out var retryErrno, out var log) is { } unexpected)
            return unexpected; // accepted the second time: the first failure was transient
        if (retryErrno != Errno.ENOSPC)
            errno = retryErrno; // ENOSPC only says the log was truncated
        var tail = log.Length > LoggedTail ? "..." + log[^LoggedTail..] : log;
        throw new SyscallException("bpf", errno, "BPF_PROG_LOAD", "BPF_PROG_TYPE_CGROUP_DEVICE",
            tail.Length == 0 ? "no verifier log" : "verifier: " + tail.Trim());
    }

    /// <summary>Attaches <paramref name="program"/> to the cgroup directory with BPF_F_ALLOW_MULTI.</summary>
    public static void AttachCgroupDevice(string cgroupPath, SafeFdHandle program)
    {
        if (AttachOrDetach(Interop.BPF_PROG_ATTACH, cgroupPath, program, BPF_F_ALLOW_MULTI) is { } errno)
            throw new SyscallException("bpf", errno, "BPF_PROG_ATTACH", cgroupPath);
    }

    /// <summary>Detaches <paramref name="program"/>; returns false when it was not attached there (ENOENT).</summary>
    public static bool DetachCgroupDevice(string cgroupPath, SafeFdHandle program)
    {
        var errno = AttachOrDetach(Interop.BPF_PROG_DETACH, cgroupPath, program, 0);
        if (errno is null)
            return true;
        if (errno == Errno.ENOENT)
            return false;
        throw new SyscallException("bpf", errno.Value, "BPF_PROG_DETACH", cgroupPath);
    }

    private static unsafe SafeFdHandle? Load(ReadOnlySpan<byte> instructions, string license, string name, int logSize, out Errno errno, out string log)
    {
        var licenseBytes = new byte[Encoding.UTF8.GetByteCount(license) + 1];
        Encoding.UTF8.GetBytes(license, licenseBytes);
        var logBuffer = new byte[Math.Max(logSize, 1)];
        fixed (byte* insns = instructions)
        fixed (byte* lic = licenseBytes)
        fixed (byte* logPtr = logBuffer)
        {
            var attr = new Interop.BpfProgLoadAttr
            {
                ProgType = BPF_PROG_TYPE_CGROUP_DEVICE,
                InsnCount = (uint)(instructions.Length / InstructionSize),
                Insns = (ulong)insns,
                License = (ulong)lic,
                LogLevel = logSize > 0 ? 1u : 0u,
                LogSize = (uint)logSize,
                LogBuf = logSize > 0 ? (ulong)logPtr : 0,
                ExpectedAttachType = BPF_CGROUP_DEVICE,
            };
            var nameBytes = Encoding.ASCII.GetBytes(name);
            for (int i = 0; i < nameBytes.Length && i < Interop.BPF_OBJ_NAME_LEN - 1; i++)
                attr.ProgName[i] = nameBytes[i];
            long fd;
            int attempts = 0;
            do
                fd = Interop.SyscallBpf(Interop.SysBpf, Interop.BPF_PROG_LOAD, &attr, sizeof(Interop.BpfProgLoadAttr));
            while (fd < 0 && (SyscallException.LastErrno is Errno.EINTR or Errno.EAGAIN) && ++attempts < 5); // libbpf retries EAGAIN too
            errno = fd < 0 ? SyscallException.LastErrno : Errno.None;
            int end = logSize > 0 ? Array.IndexOf(logBuffer, (byte)0) : 0;
            log = Encoding.UTF8.GetString(logBuffer, 0, end < 0 ? logBuffer.Length : end);
            return fd < 0 ? null : new SafeFdHandle((int)fd);
        }
    }

    private static unsafe Errno? AttachOrDetach(int command, string cgroupPath, SafeFdHandle program, uint flags)
    {
        int dir = Check.Io(Interop.Open(cgroupPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), "open", cgroupPath);
        try
        {
            using var programFd = new FdRef(program);
            var attr = new Interop.BpfProgAttachAttr
            {
                TargetFd = (uint)dir,
                AttachBpfFd = (uint)programFd.Fd,
                AttachType = BPF_CGROUP_DEVICE,
                AttachFlags = flags,
            };
            long result = Interop.SyscallBpf(Interop.SysBpf, command, &attr, sizeof(Interop.BpfProgAttachAttr));
            return result < 0 ? SyscallException.LastErrno : null;
        }
        finally
        {
            Interop.Close(dir);
        }
    }
}
