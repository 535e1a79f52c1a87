using SandboxRt.Interop;

namespace SandboxRt.Jailer;

/// <summary>
/// Who the program runs as. Bounding-set drops need CAP_SETPCAP, so they come before the switch away
/// from root; setgroups, setresgid and setresuid go through glibc, whose wrappers change every thread of
/// the process (the .NET runtime has a few), not just this one. Capability sets and no_new_privs are
/// per thread: they are set on this, the thread that calls execve.
/// </summary>
internal static class JailCredentials
{
    private const int LastCapability = 63;

    public static void Apply(JailerOptions options)
    {
        var keep = options.Uid is null ? options.Capabilities : [];
        if (keep is not null)
            for (int cap = 0; cap <= LastCapability; cap++)
                if (!keep.Contains(cap))
                    Credentials.DropBounding(cap);
        Credentials.ClearAmbient();
        Credentials.SetGroups([]);
        if (options.Uid is { } uid)
        {
            Credentials.SetGid(options.Gid!.Value);
            // Leaving uid 0 without PR_SET_KEEPCAPS empties the permitted and effective sets.
            Credentials.SetUid(uid);
            Credentials.SetCapabilities(0, 0, 0);
        }
        else
        {
            var (effective, permitted, _) = Credentials.GetCapabilities();
            Credentials.SetCapabilities(effective, permitted, 0);
        }
        ProcessControl.SetNoNewPrivileges();
    }
}
