using Tmds.Linux;

namespace SandboxRt.Interop;

/// <summary>
/// What makes a file the same file: its device and inode (statx). Two paths to one namespace (a bind
/// mount in /run/netns and /proc/PID/ns/net) have the same identity.
/// </summary>
public readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode)
{
    /// <summary>The identity of what <paramref name="path"/> names, following symlinks (/proc/PID/ns/* are magic links).</summary>
    public static unsafe FileIdentity Of(string path)
    {
        Interop.StatxBuffer buffer;
        int result;
        do
            result = Interop.Statx(LibC.AT_FDCWD, path, 0, LibC.STATX_INO, &buffer);
        while (Check.Interrupted(result));
        Check.Io(result, "statx", path);
        return new FileIdentity(buffer.DeviceMajor, buffer.DeviceMinor, buffer.Inode);
    }

    public override string ToString() => $"{DeviceMajor}:{DeviceMinor}:{Inode}";
}
