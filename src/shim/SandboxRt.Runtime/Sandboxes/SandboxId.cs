using System.Text.RegularExpressions;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>Sandbox and container ids: runc's rule (letters, digits, '_', '-', '.'), at most 128 characters.</summary>
public static partial class SandboxId
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Pattern();

    public static string Validate(string id)
    {
        if (!Pattern().IsMatch(id) || id.Contains(".."))
            throw new ArgumentException($"invalid id '{id}': use 1-128 characters from [A-Za-z0-9_.-], starting with a letter or digit");
        return id;
    }
}
