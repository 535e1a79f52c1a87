namespace SandboxRt.Agent.Init.Syscalls;

/// <summary>
/// The file operations of init: mount targets and placeholders, the tests for optional paths, and the
/// writes into /proc (sysctls, oom_score_adj). Behind the seam because after pivot_root these paths
/// name the container's root, which a test simulates in a scratch directory.
/// </summary>
internal interface IInitFiles
{
    /// <summary>Whether anything is at the path, following symbolic links.</summary>
    bool Exists(string path);

    bool IsDirectory(string path);

    /// <summary>Whether the path itself is a symbolic link (dangling or not).</summary>
    bool IsSymbolicLink(string path);

    void CreateDirectory(string path);

    /// <summary>Creates an empty file (truncates an existing one).</summary>
    void CreateFile(string path);

    void WriteText(string path, string text);

    void Delete(string path);
}
