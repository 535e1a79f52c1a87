namespace SandboxRt.Oci.Validation;

/// <summary>How problems name fields without quoting what the file contains.</summary>
internal static class SpecField
{
    /// <summary>
    /// A map key as part of a field name: itself when it looks like a name (letters, digits, '.', '_',
    /// '-', '/', at most 64), otherwise its position, so arbitrary content is never copied into an error.
    /// </summary>
    public static string Key(string key, int index) =>
        key.Length is > 0 and <= 64 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/')
            ? key
            : $"[{index}]";
}
