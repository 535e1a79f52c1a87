namespace SandboxRt.Shim.Cache;

/// <summary>
/// What `start` tells the cached VM's daemon that takes a pod: what a daemon spawned for the pod would
/// have had on its command line and in its environment (its log level is the one `start` spawned the
/// entry with). The pod's listening ttrpc socket travels with it (SCM_RIGHTS). The daemon checks it (<see cref="VmCacheEntry"/>) before it takes the pod.
/// </summary>
internal sealed class VmCacheClaim
{
    public string PodId { get; set; } = "";
    public string Namespace { get; set; } = "";
    /// <summary>containerd's address (-address).</summary>
    public string Address { get; set; } = "";
    /// <summary>Where containerd takes task events (TTRPC_ADDRESS in `start`'s environment).</summary>
    public string EventsAddress { get; set; } = "";
    /// <summary>The bundle `start` ran in: the daemon's working directory and the home of its `log` fifo.</summary>
    public string Bundle { get; set; } = "";
}
