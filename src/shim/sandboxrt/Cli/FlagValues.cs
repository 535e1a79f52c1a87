using System.Globalization;
using SandboxRt.Runtime.CommandLine;

namespace SandboxRt.Cli.Cli;

/// <summary>
/// Numeric flag values as runc reads them (update.go): memory sizes through go-units' RAMInBytes ("512m",
/// "1g", "1.5GiB": a decimal number, an optional space, an optional k/m/g/t/p with powers of 1024, an
/// optional "i", an optional "b", any case) with "-1" for unlimited, and counts as unsigned integers of
/// their field's width. A value that does not fit is a usage error naming the flag, never a wrap-around.
/// </summary>
internal static class FlagValues
{
    /// <summary>Bytes of a RAMInBytes size, or -1 for "-1".</summary>
    public static long Memory(string flag, string value)
    {
        if (value == "-1")
            return -1;
        var s = value.AsSpan();
        int digits = 0;
        while (digits < s.Length && (char.IsAsciiDigit(s[digits]) || s[digits] == '.' && digits > 0))
            digits++;
        if (digits == 0 || s[digits - 1] == '.' || !double.TryParse(s[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw Invalid(flag, value, "a size such as 268435456, 512m or 1g");
        var unit = s[digits..];
        if (unit.Length > 0 && unit[0] == ' ')
            unit = unit[1..];
        double multiplier = 1;
        if (unit.Length > 0 && "kmgtp".IndexOf(char.ToLowerInvariant(unit[0])) is var power and >= 0)
        {
            multiplier = Math.Pow(1024, power + 1);
            unit = unit[1..];
        }
        if (unit.Length > 0 && char.ToLowerInvariant(unit[0]) == 'i')
            unit = unit[1..];
        if (unit.Length > 0 && char.ToLowerInvariant(unit[0]) == 'b')
            unit = unit[1..];
        if (unit.Length > 0)
            throw Invalid(flag, value, "a size such as 268435456, 512m or 1g");
        var bytes = number * multiplier;
        if (bytes >= long.MaxValue)
            throw Invalid(flag, value, "a size below 8 EiB");
        return (long)bytes;
    }

    /// <summary>An unsigned integer no larger than <paramref name="max"/>.</summary>
    public static ulong Unsigned(string flag, string value, ulong max = ulong.MaxValue) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= max
            ? n
            : throw Invalid(flag, value, max == ulong.MaxValue ? "an unsigned integer" : $"an integer from 0 to {max}");

    /// <summary>A signed 64-bit integer.</summary>
    public static long Signed(string flag, string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(flag, value, "an integer");

    private static UsageException Invalid(string flag, string value, string expected) => new($"--{flag}: '{value}' is not {expected}");
}
