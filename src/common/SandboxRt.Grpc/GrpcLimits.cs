namespace SandboxRt.Grpc;

/// <summary>Size limits applied to every message, sent or received.</summary>
public sealed record GrpcLimits
{
    /// <summary>grpc's default receive limit (4 MiB).</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    public int MaxReceiveMessageSize { get; init; } = DefaultMaxMessageSize;
    public int MaxSendMessageSize { get; init; } = DefaultMaxMessageSize;

    public static GrpcLimits Default { get; } = new();
}
