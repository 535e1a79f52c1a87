namespace SandboxRt.Runtime.Channels;

/// <summary>A connection attempt that failed in a way worth retrying (no hello yet, a peer that hung up).</summary>
public sealed class TransientChannelException(string message) : IOException(message);
