namespace SandboxRt.Runtime.CommandLine;

/// <summary>A command line Go's flag package would reject; the message is Go's, naming the flag.</summary>
public sealed class FlagException(string message) : ArgumentException(message);
