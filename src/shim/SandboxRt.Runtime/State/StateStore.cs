using System.Text.Json;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.State;

/// <summary>
/// Container state under --root: one directory per container (state.json, the VM's sockets and logs,
/// the shared directory). Verbs that change a container hold its lock file (&lt;root&gt;/&lt;id&gt;.lock)
/// so that concurrent CLI calls for the same container take turns. Every id becomes a path here and only
/// here, so this is where ids are checked (runc's rule, ContainerId): whatever verb names "../../x" is
/// refused before any path is built from it.
/// </summary>
public sealed class StateStore(string root)
{
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(120);

    public string Root { get; } = root;

    public string Directory(string id) => Path.Combine(Root, ContainerId.Validate(id));

    private string LockFile(string id) => Path.Combine(Root, ContainerId.Validate(id) + ".lock");

    private string StateFile(string id) => Path.Combine(Directory(id), "state.json");

    public FileLock Lock(string id)
    {
        var path = LockFile(id);
        Storage.PrivateFiles.CreateDirectory(Root);
        return FileLock.Acquire(path, LockTimeout);
    }

    /// <summary>
    /// The lock of a container that must already exist; for a missing one the lock file is not left
    /// behind and ContainerNotFoundException says so.
    /// </summary>
    public FileLock LockExisting(string id)
    {
        var held = Lock(id);
        if (Exists(id))
            return held;
        held.Dispose();
        ForgetLock(id);
        throw new ContainerNotFoundException(id);
    }

    public bool Exists(string id) => File.Exists(StateFile(id));

    public ContainerRecord Load(string id)
    {
        var path = StateFile(id);
        if (!File.Exists(path))
            throw new ContainerNotFoundException(id);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), StateJsonContext.Default.ContainerRecord)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is corrupt: {e.Message}", e);
        }
    }

    /// <summary>Writes state.json atomically (a reader sees the old or the new file, never half of one).</summary>
    public void Save(ContainerRecord record)
    {
        var path = StateFile(record.Id);
        Storage.PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        Storage.PrivateFiles.WriteAllText(temporary, JsonSerializer.Serialize(record, StateJsonContext.Default.ContainerRecord));
        File.Move(temporary, path, overwrite: true);
    }

    public IReadOnlyList<string> Ids() =>
        System.IO.Directory.Exists(Root)
            ? System.IO.Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(ContainerId.IsValid).OfType<string>()
                .Where(id => File.Exists(Path.Combine(Root, id, "state.json"))).Order().ToList()
            : [];

    /// <summary>Removes the lock file once the container is gone.</summary>
    public void ForgetLock(string id)
    {
        try
        {
            File.Delete(LockFile(id));
        }
        catch (IOException)
        {
        }
    }
}
