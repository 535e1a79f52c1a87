using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>Holds a reference on any SafeHandle for the length of one call and exposes its descriptor number.</summary>
internal readonly ref struct FdRef
{
    private readonly SafeHandle _handle;
    private readonly bool _added;

    public FdRef(SafeHandle handle)
    {
        _handle = handle;
        _added = false;
        handle.DangerousAddRef(ref _added);
        Fd = (int)handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
            _handle.DangerousRelease();
    }
}
