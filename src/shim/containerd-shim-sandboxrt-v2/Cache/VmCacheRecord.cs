using SandboxRt.Runtime.State;

namespace SandboxRt.Shim.Cache;

/// <summary>
/// What an entry's daemon records (entry.json) so that `start` can tell a live entry from a dead one and
/// clean up after one that died: itself, and once they run, the VM's hypervisor and virtiofsd.
/// </summary>
internal sealed class VmCacheRecord
{
    public ProcessIdentity? Daemon { get; set; }
    public ProcessIdentity? Hypervisor { get; set; }
    public ProcessIdentity? Virtiofsd { get; set; }
    public int ShutdownGraceSeconds { get; set; } = 5;
    /// <summary>A pod has the entry: its daemon is that pod's shim, and the pod's records and `delete` look after it.</summary>
    public bool Claimed { get; set; }
}
