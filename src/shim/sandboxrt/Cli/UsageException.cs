namespace SandboxRt.Cli.Cli;

/// <summary>A command line that cannot be understood: printed with the command's usage, exit status 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
