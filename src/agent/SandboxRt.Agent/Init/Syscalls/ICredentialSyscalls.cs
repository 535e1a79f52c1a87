namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>Who the process becomes: setgroups(2), setresgid(2), setresuid(2), and PR_SET_KEEPCAPS around them.</summary>
internal interface ICredentialSyscalls
{
    void SetGroups(IReadOnlyList<uint> groups);

    void SetGid(uint gid);

    void SetUid(uint uid);

    void SetKeepCapabilities(bool keep);
}
