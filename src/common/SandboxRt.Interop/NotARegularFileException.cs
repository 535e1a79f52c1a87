namespace SandboxRt.Interop;

/// <summary>A path that had to name a regular file names a directory, device, FIFO or socket.</summary>
public sealed class NotARegularFileException(string path, FileType type)
    : IOException($"{path}: is a {Describe(type)}, not a regular file")
{
    public string Path { get; } = path;

    public FileType Type { get; } = type;

    private static string Describe(FileType type) => type switch
    {
        FileType.Fifo => "FIFO",
        FileType.CharacterDevice => "character device",
        FileType.BlockDevice => "block device",
        FileType.Directory => "directory",
        FileType.Socket => "socket",
        FileType.SymbolicLink => "symbolic link",
        _ => $"file of type 0x{(int)type:x}",
    };
}
