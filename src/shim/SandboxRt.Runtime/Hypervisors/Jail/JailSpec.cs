namespace SandboxRt.Runtime.Hypervisors.Jail;

/// <summary>What the jailer does to one process before exec (see src/shim/sandboxrt-jailer/Program.cs).</summary>
public sealed record JailSpec
{
    /// <summary>
    /// The process runs as pid 1 of a pid namespace of its own: the caller spawns the jailer with
    /// <see cref="SandboxRt.Interop.SpawnOptions.NewPidNamespace"/>, and the jailer (--pid-ns) refuses
    /// to run the program anywhere else. The host keeps the process's host pid as its child's.
    /// </summary>
    public bool NewPidNamespace { get; init; }

    /// <summary>Host cgroup directories to join (one per hierarchy).</summary>
    public IReadOnlyList<string> Cgroups { get; init; } = [];

    /// <summary>An empty directory to build the jail's root on, with what goes in it; null: keep the host's file system view.</summary>
    public string? Root { get; init; }
    public JailLayout? Layout { get; init; }

    /// <summary>Device nodes made in the jail, mode 0666 (/dev/null, /dev/zero, /dev/urandom).</summary>
    public IReadOnlyList<string> Devices { get; init; } = [];

    /// <summary>Device nodes owned by the jail user, mode 0600 (/dev/kvm).</summary>
    public IReadOnlyList<string> PrivateDevices { get; init; } = [];

    /// <summary>
    /// Shows the process its own descriptor directory at /proc/self/fd in the jail, and nothing else of
    /// /proc: QEMU's 9p server reaches files' xattrs through "/proc/self/fd/N/NAME" (hw/9pfs/9p-util.c).
    /// </summary>
    public bool OwnDescriptorDirectory { get; init; }

    /// <summary>The user to become; null stays root (then <see cref="Capabilities"/> narrows the bounding set).</summary>
    public JailUser? User { get; init; }
    public IReadOnlyList<int>? Capabilities { get; init; }

    /// <summary>Descriptors (numbers in the jailed process) kept across exec besides 0-2.</summary>
    public IReadOnlyList<int> KeepDescriptors { get; init; } = [];
}
