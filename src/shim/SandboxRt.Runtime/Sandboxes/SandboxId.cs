namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// Sandbox and container ids, by runc's rule (libcontainer's validateID): one or more of A-Z a-z 0-9
/// _ + - . and not "." or "..", so that an id is always one path component under the state root; with
/// runc's error text. One bound runc leaves to the file system: "&lt;id&gt;.lock" must fit a file name.
/// </summary>
public static class SandboxId
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

    public static string Validate(string id) =>
        IsValid(id) ? id : throw new ArgumentException(
            $"invalid container ID format: '{Diagnostics.SafeText.Escape(id, 300)}' (1-{MaxLength} characters from A-Z a-z 0-9 _ + - ., not \".\" or \"..\")");
}
