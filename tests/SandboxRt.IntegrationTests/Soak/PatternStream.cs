using System.Security.Cryptography;

namespace SandboxRt.IntegrationTests.Soak;

/// <summary>
/// The soak's stdout volume: what `yes LINE | head -c BYTES` prints in the container, with the count and
/// SHA-256 it must arrive with, computed here from the same definition.
/// </summary>
internal static class PatternStream
{
    public const string Line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    public const long OneGiB = 1L << 30;

    public static string Command(long bytes) => $"yes {Line} | head -c {bytes}";

    public static string ExpectedSha256(long bytes)
    {
        var line = System.Text.Encoding.ASCII.GetBytes(Line + "\n");
        var block = new byte[line.Length * 16384];
        for (int i = 0; i < 16384; i++)
            line.CopyTo(block, i * line.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long left = bytes; left > 0; left -= Math.Min(left, block.Length))
            hash.AppendData(block, 0, (int)Math.Min(left, block.Length));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Reads <paramref name="stream"/> to its end: the byte count and SHA-256 of what came.</summary>
    public static async Task<(long Bytes, string Sha256)> DigestAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        return (total, Convert.ToHexString(hash.GetHashAndReset()));
    }
}
