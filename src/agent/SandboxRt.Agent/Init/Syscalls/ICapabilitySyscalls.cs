namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>The capability sets: the bounding set (PR_CAPBSET_DROP), capset(2), the ambient set (PR_CAP_AMBIENT).</summary>
internal interface ICapabilitySyscalls
{
    void DropBounding(int capability);

    void SetCapabilities(ulong effective, ulong permitted, ulong inheritable);

    void ClearAmbient();

    void RaiseAmbient(int capability);
}
