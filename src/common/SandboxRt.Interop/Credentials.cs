namespace SandboxRt.Interop;

/// <summary>User, group and capability system calls for the container init.</summary>
public static class Credentials
{
    private const int PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    public static unsafe void SetGroups(IReadOnlyList<uint> groups)
    {
        var array = groups.ToArray();
        fixed (uint* p = array)
            Check.Io(Interop.SetGroups((nuint)array.Length, p), "setgroups", string.Join(",", groups));
    }

    public static void SetGid(uint gid) => Check.Io(Interop.SetResGid(gid, gid, gid), "setresgid", gid.ToString());

    public static void SetUid(uint uid) => Check.Io(Interop.SetResUid(uid, uid, uid), "setresuid", uid.ToString());

    /// <summary>PR_SET_KEEPCAPS: keep permitted capabilities across the switch away from uid 0.</summary>
    public static void KeepCapabilities(bool keep) => Check.Io(Interop.Prctl(PR_SET_KEEPCAPS, keep ? 1UL : 0UL, 0, 0, 0), "prctl", "PR_SET_KEEPCAPS");

    /// <summary>Removes a capability from this thread's bounding set.</summary>
    public static void DropBounding(int capability)
    {
        if (Interop.Prctl(PR_CAPBSET_DROP, (ulong)capability, 0, 0, 0) != 0)
        {
            var errno = SyscallException.LastErrno;
            if (errno != Errno.EINVAL) // a capability this kernel does not know
                throw new SyscallException("prctl", errno, "PR_CAPBSET_DROP", capability.ToString());
        }
    }

    /// <summary>Sets the effective, permitted and inheritable sets of the calling thread (bit masks by capability number).</summary>
    public static unsafe void SetCapabilities(ulong effective, ulong permitted, ulong inheritable)
    {
        var header = new Interop.CapUserHeader { Version = Interop.LinuxCapabilityVersion3, Pid = 0 };
        var data = stackalloc Interop.CapUserData[2];
        data[0] = new Interop.CapUserData { Effective = (uint)effective, Permitted = (uint)permitted, Inheritable = (uint)inheritable };
        data[1] = new Interop.CapUserData { Effective = (uint)(effective >> 32), Permitted = (uint)(permitted >> 32), Inheritable = (uint)(inheritable >> 32) };
        Check.Io(Interop.SyscallCap(Interop.SysCapset, &header, data), "capset");
    }

    /// <summary>The calling thread's (effective, permitted, inheritable) sets.</summary>
    public static unsafe (ulong Effective, ulong Permitted, ulong Inheritable) GetCapabilities()
    {
        var header = new Interop.CapUserHeader { Version = Interop.LinuxCapabilityVersion3, Pid = 0 };
        var data = stackalloc Interop.CapUserData[2];
        Check.Io(Interop.SyscallCap(Interop.SysCapget, &header, data), "capget");
        return (data[0].Effective | (ulong)data[1].Effective << 32, data[0].Permitted | (ulong)data[1].Permitted << 32, data[0].Inheritable | (ulong)data[1].Inheritable << 32);
    }

    public static void ClearAmbient() => Check.Io(Interop.Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl", "PR_CAP_AMBIENT_CLEAR_ALL");

    public static void RaiseAmbient(int capability) =>
        Check.Io(Interop.Prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (ulong)capability, 0, 0), "prctl", "PR_CAP_AMBIENT_RAISE", capability.ToString());
}
