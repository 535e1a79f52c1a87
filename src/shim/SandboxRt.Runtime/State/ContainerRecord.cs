namespace SandboxRt.Runtime.State;

/// <summary>
/// What survives between CLI invocations for one container (state.json in its state directory): where
/// it came from, its status, and the host processes that carry it (the relay, QEMU, virtiofsd).
/// </summary>
public sealed class ContainerRecord
{
    public string Id { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Rootfs { get; set; } = "";
    public ContainerStatus Status { get; set; } = ContainerStatus.Creating;
    public DateTime Created { get; set; } = DateTime.UtcNow;
    public Dictionary<string, string>? Annotations { get; set; }
    /// <summary>The poststart and poststop hooks create read from the bundle; null on a record written by a SandboxRt from before 2026-12-06 (start and delete then read the bundle).</summary>
    public RecordedHooks? Hooks { get; set; }
    /// <summary>The relay: the process whose pid went to --pid-file, and whose exit is the container's.</summary>
    public ProcessIdentity? Relay { get; set; }
    public ProcessIdentity? Hypervisor { get; set; }
    public ProcessIdentity? Virtiofsd { get; set; }
    /// <summary>The container's init pid inside the guest.</summary>
    public int GuestPid { get; set; }
    public int? ExitStatus { get; set; }
    public bool OomKilled { get; set; }
    /// <summary>The limits the VM is sized by since the last update (null: the bundle's).</summary>
    public SizingLimits? Limits { get; set; }
    /// <summary>
    /// The container whose sandbox (VM) this one runs in, when it joined that container's network
    /// namespace (docker run --network container:ID, Network/NetworkJoin.cs); null for a VM of its own.
    /// Its Hypervisor and Virtiofsd are then null: the VM is the other container's.
    /// </summary>
    public string? JoinedSandbox { get; set; }
    /// <summary>
    /// Set on the record of a VM cache entry (VmCache/CliVmCacheEntry.cs): a sandbox with no container,
    /// hidden from `list`, whose Relay is the entry's process. Holds the <see cref="Configuration.VmCacheKey"/>
    /// it was made with; null on a container's record.
    /// </summary>
    public string? VmCacheKey { get; set; }
    /// <summary>On an entry's record: the container whose VM it became (that container's JoinedSandbox names the entry).</summary>
    public string? ClaimedBy { get; set; }
    /// <summary>Exec'd processes with relays of their own: exec id → relay.</summary>
    public Dictionary<string, ProcessIdentity> Execs { get; set; } = new();
}
