namespace SandboxRt.Interop;

/// <summary>A file read with a bound holds more than the bound allows.</summary>
public sealed class FileTooLargeException(string path, long maxBytes)
    : IOException($"{path}: larger than {maxBytes} bytes")
{
    public string Path { get; } = path;

    public long MaxBytes { get; } = maxBytes;
}
