namespace SandboxRt.Ttrpc;

/// <summary>
/// Per-call settings. <paramref name="Timeout"/> is sent as the request's timeout_nano and also ends
/// the client's wait locally (DEADLINE_EXCEEDED); null or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
/// means none. <paramref name="Metadata"/> travels with the request (for containerd, the namespace).
/// </summary>
public sealed record TtrpcCallOptions(TimeSpan? Timeout = null, TtrpcMetadata? Metadata = null);
