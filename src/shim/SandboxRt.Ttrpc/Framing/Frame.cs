namespace SandboxRt.Ttrpc.Framing;

/// <summary>
/// One message read off a connection. <see cref="Payload"/> is null when the declared length was over
/// <see cref="MessageHeader.MaxMessageLength"/>: the bytes were skipped, only the header is known.
/// </summary>
internal readonly record struct Frame(MessageHeader Header, byte[]? Payload)
{
    public bool Oversized => Payload is null;
}
