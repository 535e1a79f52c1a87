using System.Globalization;
using System.Text;

namespace SandboxRt.Runtime.Diagnostics;

/// <summary>
/// The one escaper for text the host did not write itself (guest console lines, the agent's error
/// messages, guest process names, ids from a command line) before it reaches a host terminal or log.
/// A compromised guest controls those bytes: raw, an ESC sequence could rewrite the operator's terminal
/// (title, colours, clear, cursor moves that hide lines), a CR or NL could forge log lines, and a bidi
/// override could make a line read differently from what it is. Everything that is not a printable
/// character becomes a visible escape: C0 and C1 controls and DEL as \xNN, format characters (bidi
/// controls, zero-width), line and paragraph separators and lone surrogates as \u{NNNN}; a backslash is
/// doubled so that no escape is ambiguous. The result is cut at a bound, saying how much was cut.
/// </summary>
public static class SafeText
{
    public const int DefaultMaxLength = 4096;

    public static string Escape(string? text, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        if (IsClean(text) && text.Length <= maxLength)
            return text;
        var output = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        int i = 0;
        for (; i < text.Length && output.Length < maxLength; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                int codePoint = char.ConvertToUtf32(c, text[i + 1]);
                if (IsSafe(CharUnicodeInfo.GetUnicodeCategory(codePoint)))
                    output.Append(c).Append(text[i + 1]);
                else
                    output.Append($"\\u{{{codePoint:X4}}}");
                i++;
            }
            else if (c == '\\')
                output.Append("\\\\");
            else if (c < 0x20 || c is >= '\u007f' and <= '\u009f')
                output.Append($"\\x{(int)c:x2}");
            else if (!IsSafe(CharUnicodeInfo.GetUnicodeCategory(c)))
                output.Append($"\\u{{{(int)c:X4}}}");
            else
                output.Append(c);
        }
        if (i < text.Length)
            output.Append($"...({text.Length - i} more characters)");
        return output.ToString();
    }

    private static bool IsClean(string text)
    {
        foreach (char c in text)
            if (c is < ' ' or > '~' or '\\')
                return false;
        return true;
    }

    private static bool IsSafe(UnicodeCategory category) => category is not (UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate
        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned);
}
