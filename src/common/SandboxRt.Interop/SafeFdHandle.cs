using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>An owned Linux file descriptor. Closing is idempotent; the raw number is internal.</summary>
public sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle() : base(new IntPtr(-1), ownsHandle: true) { }

    internal SafeFdHandle(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number, for logging and for building /proc/self/fd paths.</summary>
    public int Number => (int)handle.ToInt64();

    /// <summary>Wraps a descriptor this process inherited by number (for example from its parent at exec).</summary>
    public static SafeFdHandle FromInherited(int fd) => new(fd, ownsHandle: true);

    /// <summary>A handle on a descriptor this process keeps using elsewhere (its own stdio): never closed by the handle.</summary>
    public static SafeFdHandle Borrow(int fd) => new(fd, ownsHandle: false);

    /// <summary>Gives up ownership and returns the number, for handing the descriptor to another owner.</summary>
    public int Release()
    {
        int fd = Number;
        SetHandleAsInvalid();
        return fd;
    }

    protected override bool ReleaseHandle() => Interop.Close((int)handle.ToInt64()) == 0;
}
