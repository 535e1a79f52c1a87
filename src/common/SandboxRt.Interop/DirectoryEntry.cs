namespace SandboxRt.Interop;

/// <summary>One entry of a directory as getdents64 returns it; <see cref="IsDirectory"/> comes from d_type.</summary>
public readonly record struct DirectoryEntry(string Name, bool IsDirectory);
