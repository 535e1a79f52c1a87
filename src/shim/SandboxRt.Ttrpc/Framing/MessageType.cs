namespace SandboxRt.Ttrpc.Framing;

/// <summary>The type byte of a frame header (ttrpc channel.go, messageType).</summary>
internal enum MessageType : byte
{
    Request = 1,
    Response = 2,
}
