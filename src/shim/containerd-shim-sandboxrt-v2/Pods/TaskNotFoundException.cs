namespace SandboxRt.Shim.Pods;

/// <summary>A container or exec id this shim does not have (containerd's ErrNotFound).</summary>
internal sealed class TaskNotFoundException(string message) : Exception(message);
