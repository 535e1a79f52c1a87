// Shared by sandboxrt and the shim: one parser for both (Go's flag rules over System.CommandLine).
namespace SandboxRt.Runtime.CommandLine;

/// <summary>A command line that cannot be understood: printed with the command's usage, exit status 2.</summary>
public sealed class UsageException(string message) : Exception(message);
