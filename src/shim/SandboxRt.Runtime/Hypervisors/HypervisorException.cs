namespace SandboxRt.Runtime.Hypervisors;

/// <summary>A hypervisor that could not be started, reached or stopped.</summary>
public class HypervisorException(string message, Exception? inner = null) : Exception(message, inner);
