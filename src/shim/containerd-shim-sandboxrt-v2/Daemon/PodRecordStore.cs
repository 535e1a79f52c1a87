using System.Text.Json;
using SandboxRt.Shim.Pods;

namespace SandboxRt.Shim.Daemon;

/// <summary>The pod record on disk (written atomically: a temporary file renamed over the old one).</summary>
internal sealed class PodRecordStore(string path)
{
    private const long MaxBytes = 1024 * 1024;
    private readonly object _write = new();

    public string Path { get; } = path;

    public void Save(PodRecord record)
    {
        lock (_write)
        {
            var temporary = Path + ".tmp";
            Runtime.Storage.PrivateFiles.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(record, ShimJsonContext.Default.PodRecord));
            File.Move(temporary, Path, overwrite: true);
        }
    }

    /// <summary>The record, or null when there is none (the shim never started a VM, or cleaned up).</summary>
    public PodRecord? Load()
    {
        if (!File.Exists(Path))
            return null;
        var info = new FileInfo(Path);
        if (info.Length > MaxBytes)
            throw new InvalidDataException($"{Path}: {info.Length} bytes is too large for a pod record");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(Path), ShimJsonContext.Default.PodRecord);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path}: not a pod record: {e.Message}");
        }
    }
}
