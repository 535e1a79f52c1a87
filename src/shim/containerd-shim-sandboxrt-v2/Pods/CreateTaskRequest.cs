namespace SandboxRt.Shim.Pods;

/// <summary>What containerd asks for when it creates a task: the bundle, its root file system mounts, and stdio.</summary>
internal sealed record CreateTaskRequest(string Id, string Bundle, IReadOnlyList<RootfsMount> Rootfs, ProcessIo Io);
