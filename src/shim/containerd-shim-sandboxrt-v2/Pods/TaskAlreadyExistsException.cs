namespace SandboxRt.Shim.Pods;

/// <summary>A container or exec id that is already in use (containerd's ErrAlreadyExists).</summary>
internal sealed class TaskAlreadyExistsException(string message) : Exception(message);
