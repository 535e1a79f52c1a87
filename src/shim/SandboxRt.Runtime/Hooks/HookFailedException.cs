namespace SandboxRt.Runtime.Hooks;

/// <summary>A hook that could not run, failed, or timed out.</summary>
public sealed class HookFailedException(string message) : Exception(message);
