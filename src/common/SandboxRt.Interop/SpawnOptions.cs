using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

/// <summary>What <see cref="ProcessSpawner"/> starts, and with which descriptors.</summary>
public sealed class SpawnOptions
{
    /// <summary>The executable (absolute path; no PATH search).</summary>
    public required string Path { get; init; }

    /// <summary>argv, including argv[0].</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The environment as KEY=VALUE strings; null inherits this process's environment.</summary>
    public IReadOnlyList<string>? Environment { get; init; }

    /// <summary>
    /// Descriptors the child gets, as (descriptor in this process, number in the child). Everything
    /// else is closed at exec (every descriptor here is opened close-on-exec).
    /// </summary>
    public IReadOnlyList<(SafeHandle Handle, int ChildFd)> Descriptors { get; init; } = [];

    /// <summary>Start the child in a new session (setsid): terminal signals of ours do not reach it.</summary>
    public bool NewSession { get; init; }

    /// <summary>
    /// Start the child as pid 1 of a new pid namespace (a child of ours): it sees none of the host's
    /// processes, while <see cref="ProcessSpawner.Spawn"/> still returns its pid in ours, so waiting for
    /// it and signalling it work as for any child. A signal from us reaches it only if it handles that
    /// signal, or if it is SIGKILL or SIGSTOP (the kernel's rule for a namespace's init).
    /// </summary>
    public bool NewPidNamespace { get; init; }

    /// <summary>
    /// The mount namespace (an nsfs descriptor, <see cref="MountNamespace.Handle"/>) the child starts in;
    /// null: ours. Paths in this spawn (the executable, the working directory) are looked up there.
    /// </summary>
    public SafeHandle? MountNamespace { get; init; }

    /// <summary>The child's working directory; null keeps ours.</summary>
    public string? WorkingDirectory { get; init; }
}
