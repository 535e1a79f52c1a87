using System.Text;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// The one container-id rule for host and guest (CLI, shim, sandbox ids, state directories, the agent):
/// runc's (libcontainer's validateID): one or more of A-Z a-z 0-9 _ + - . and not "." or "..", so an id is
/// always one path component under a state root; with runc's error text. runc's old pattern
/// <c>^[\w+-\.]+$</c> reads "+-\." as a range and so lets a comma through; runc 1.1.5 refuses it (checked
/// here) and so does this rule. One bound runc leaves to the file system: "&lt;id&gt;.lock" must fit NAME_MAX.
/// </summary>
public static class ContainerId
{
    /// <summary>The longest id: "&lt;id&gt;.lock" fits NAME_MAX (255).</summary>
    public const int MaxLength = 250;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength || id is "." or "..")
            return false;
        foreach (char c in id)
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '+' or '-' or '.'))
                return false;
        return true;
    }

    /// <summary>Returns <paramref name="id"/> when valid; otherwise throws naming <paramref name="field"/>.</summary>
    public static string Validate(string id, string field = "container ID") =>
        IsValid(id) ? id : throw new ArgumentException(
            $"invalid {field} format: '{Quote(id)}' (1-{MaxLength} characters from A-Z a-z 0-9 _ + - ., not \".\" or \"..\")");

    /// <summary>The id as printable ASCII (control and non-ASCII characters as \uXXXX), cut at 300 characters.</summary>
    private static string Quote(string? id)
    {
        if (string.IsNullOrEmpty(id))
            return "";
        var b = new StringBuilder();
        foreach (char c in id)
        {
            if (b.Length >= 300)
            {
                b.Append("...");
                break;
            }
            if (c is >= ' ' and <= '~' and not '\'' and not '\\')
                b.Append(c);
            else
                b.Append($"\\u{(int)c:x4}");
        }
        return b.ToString();
    }
}
