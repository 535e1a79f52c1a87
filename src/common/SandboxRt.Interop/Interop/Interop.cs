using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// Raw libc bindings. Nothing outside this folder sees an int file descriptor or an errno number.
/// <para>
/// Tmds.LibC (0.5.0) declares the plain libc functions, constants and structs; the Interop.*.cs files
/// next to this one adapt them to the names and types our wrappers call (UTF-8 strings, ints), one
/// topic per file. Its DllImports name "libc.so.6" and capture errno (SetLastError), so
/// <c>Marshal.GetLastPInvokeError()</c> reads it exactly as for our own [LibraryImport]s
/// (SandboxRtInteropTests checks that, and that its constants have the kernel's values).
/// </para>
/// <para>
/// Our own [LibraryImport]s remain only where Tmds.LibC 0.5.0 lacks the call or cannot serve it
/// (README, "Dependencies"):
/// - no declaration at all: pidfd_open/pidfd_send_signal, open_tree/move_mount/fsopen/fsconfig/fsmount/
///   mount_setattr, close_range, pivot_root, seccomp, bpf, finit_module, capget/capset, rt_sigaction
///   (by syscall number); waitpid, waitid, flock, inotify_*, getdents64, prlimit, setpriority, prctl,
///   reboot, uname, clock_gettime/clock_settime, cfmakeraw, posix_spawn*;
/// - declared but unusable: poll (its DllImport has no SetLastError, so EINTR/EFAULT read as a stale
///   errno), fstatat and mknod/mknodat (they call __fxstatat/__xmknod, glibc's pre-2.33 ABI that
///   glibc 2.33+ keeps as compat symbols only), statx (its struct statx predates stx_mnt_id, which
///   mount-root checks read), pthread_sigmask (bound to libpthread.so.0, which the guest image
///   does not carry).
/// </para>
/// "libc" resolves to libc.so.6 on glibc; the NativeAOT binaries bind both names at link time
/// (DirectPInvoke "libc" and "libc.so.6").
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";

    internal static int Close(int fd) => LibC.close(fd);

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/> for Tmds.LibC's byte* parameters (null stays null).</summary>
    internal static byte[]? Utf8z(string? text)
    {
        if (text is null)
            return null;
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }
}
