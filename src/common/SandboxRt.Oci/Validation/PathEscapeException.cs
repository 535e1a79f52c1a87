namespace SandboxRt.Oci.Validation;

/// <summary>A path inside a root file system that would resolve outside it.</summary>
public sealed class PathEscapeException(string path, string reason) : IOException($"{path}: {reason}")
{
    public string UnsafePath { get; } = path;

    /// <summary>Why, without the path itself ("the symbolic link /a -> ../.. points outside the root file system").</summary>
    public string Reason { get; } = reason;
}
