using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>
/// The credentials of a Unix socket's peer as the kernel recorded them at connect time
/// (socket(7), SO_PEERCRED: struct ucred { pid_t pid; uid_t uid; gid_t gid; }).
/// </summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;   // asm-generic/socket.h
    private const int SoPeerCred = 17; // asm-generic/socket.h (x86_64 and arm64)
    private const int UcredSize = 12;

    /// <summary>This process's effective credentials, which ttrpc's UnixSocketRequireSameUser compares against.</summary>
    public static PeerCredentials Self => new(Environment.ProcessId, Tmds.Linux.LibC.geteuid(), Tmds.Linux.LibC.getegid());

    public static PeerCredentials Read(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[UcredSize];
        int length;
        try
        {
            length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        }
        catch (SocketException e)
        {
            throw new IOException($"getsockopt(SO_PEERCRED): {e.SocketErrorCode}: {e.Message}", e);
        }
        if (length != UcredSize)
            throw new IOException($"getsockopt(SO_PEERCRED) returned {length} bytes, expected {UcredSize}");
        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<uint>(ucred[4..]),
            MemoryMarshal.Read<uint>(ucred[8..]));
    }

    /// <summary>Same effective user and group, as ttrpc's requireUidGid(euid, egid) checks.</summary>
    public bool IsSameUserAs(PeerCredentials other) => Uid == other.Uid && Gid == other.Gid;

    public override string ToString() => $"pid {Pid} uid {Uid} gid {Gid}";
}
