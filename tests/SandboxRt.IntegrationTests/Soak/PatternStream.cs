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

    /// <summary>
    /// Writes <paramref name="bytes"/> pseudo-random bytes (seeded: a dropped, repeated or reordered chunk
    /// changes the digest, which a repeating pattern would not show) to <paramref name="stream"/>; returns their SHA-256.
    /// </summary>
    public static async Task<string> WriteRandomAsync(Stream stream, long bytes, int seed)
    {
        var random = new Random(seed);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long left = bytes; left > 0; left -= buffer.Length)
        {
            var chunk = buffer.AsMemory(0, (int)Math.Min(left, buffer.Length));
            random.NextBytes(chunk.Span);
            hash.AppendData(chunk.Span);
            await stream.WriteAsync(chunk);
        }
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
