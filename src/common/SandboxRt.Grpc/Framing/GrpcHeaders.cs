using System.Text;

namespace SandboxRt.Grpc.Framing;

/// <summary>Header names and the percent-encoding of grpc-message (PROTOCOL-HTTP2.md).</summary>
public static class GrpcHeaders
{
    public const string ContentType = "application/grpc";
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Encoding = "grpc-encoding";
    public const string AcceptEncoding = "grpc-accept-encoding";
    /// <summary>A serialized google.rpc.Status (gRPC's rich error model), base64 as every "-bin" header.</summary>
    public const string StatusDetails = "grpc-status-details-bin";

    /// <summary>Percent-encodes every byte outside printable ASCII, and '%' itself, of the UTF-8 text.</summary>
    public static string EncodeMessage(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b >= 0x20 && b <= 0x7e && b != (byte)'%')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Reverses <see cref="EncodeMessage"/>; malformed escapes are kept as they are.</summary>
    public static string DecodeMessage(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
            return string.Empty;
        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
