namespace SandboxRt.Runtime.Core.States;

/// <summary>A verb that needs a live process found one that has ended (containerd maps it to NotFound).</summary>
public sealed class ProcessFinishedException(string message) : InvalidOperationException(message);
