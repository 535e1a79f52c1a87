namespace SandboxRt.Grpc.Client;

/// <summary>Per-call settings: a timeout sent as grpc-timeout and enforced locally, and cancellation.</summary>
public readonly record struct CallOptions(TimeSpan? Timeout = null, CancellationToken CancellationToken = default);
