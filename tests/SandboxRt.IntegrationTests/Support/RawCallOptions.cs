namespace SandboxRt.IntegrationTests.Support;

/// <summary>A raw test call's deadline (from now) and cancellation.</summary>
public readonly record struct RawCallOptions(TimeSpan? Timeout = null, CancellationToken CancellationToken = default);
