using Microsoft.Win32.SafeHandles;
using SandboxRt.Interop;

namespace SandboxRt.Runtime.Storage;

/// <summary>
/// How the runtime creates and removes its own state: directories 0700 and files 0600, so that no other
/// host user can read an exec spec's environment, a console log, or reach a container's file system
/// through the state tree (where a setuid file the guest made would otherwise be theirs to run). Every
/// directory and file under the runtime's roots (/run/sandboxrt, a caller's --root, state, socket and
/// shim directories) is made here.
/// </summary>
public static class PrivateFiles
{
    /// <summary>The runtime's own root: existing directories under it are made private too.</summary>
    public const string RuntimeRoot = "/run/sandboxrt";

    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates a directory and any missing parent 0700. An existing directory under
    /// <see cref="RuntimeRoot"/> (the runtime's own, perhaps from an older version) is made 0700; one
    /// elsewhere (a caller's --root, /tmp) is left as its owner made it.
    /// </summary>
    public static string CreateDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        var missing = new Stack<string>();
        for (var d = full; !Directory.Exists(d); d = Path.GetDirectoryName(d)!)
            missing.Push(d);
        foreach (var d in missing)
        {
            try
            {
                Directory.CreateDirectory(d, DirectoryMode);
            }
            catch (IOException) when (Directory.Exists(d))
            {
                // made by a concurrent caller
            }
        }
        if (full == RuntimeRoot || full.StartsWith(RuntimeRoot + "/", StringComparison.Ordinal))
        {
            for (var d = full; d.Length >= RuntimeRoot.Length; d = Path.GetDirectoryName(d)!)
                MakePrivate(d);
        }
        return full;
    }

    /// <summary>Writes a whole file, created 0600 (an existing file is truncated and made 0600).</summary>
    public static void WriteAllText(string path, string contents) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(contents));

    /// <summary>Writes a whole file, created 0600 (an existing file is truncated and made 0600).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = Open(path, System.IO.FileMode.Create, FileAccess.Write);
        stream.Write(bytes);
    }

    /// <summary>A stream on a file created 0600 when <paramref name="mode"/> creates it; an existing file is made 0600.</summary>
    public static FileStream Open(string path, System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = mode,
            Access = access,
            Share = share,
            BufferSize = 0,
            UnixCreateMode = mode is System.IO.FileMode.Open or System.IO.FileMode.Truncate ? null : FileMode,
        });
        try
        {
            File.SetUnixFileMode(stream.SafeFileHandle, FileMode);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return stream;
    }

    /// <summary>A handle on a file created 0600 (see <see cref="Open"/>): for descriptors handed to child processes.</summary>
    public static SafeFileHandle OpenHandle(string path, System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.Read)
    {
        // File.OpenHandle takes no create mode: the file is made (0600) first, then opened as asked.
        if (mode is not (System.IO.FileMode.Open or System.IO.FileMode.Truncate))
        {
            using (Open(path, mode == System.IO.FileMode.CreateNew ? mode : System.IO.FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        // Create truncates (keeping the mode), Append seeks to the end; the others open what now exists
        var then = mode is System.IO.FileMode.Create or System.IO.FileMode.Append or System.IO.FileMode.Truncate ? mode : System.IO.FileMode.Open;
        return File.OpenHandle(path, then, access, share);
    }

    /// <summary>
    /// Removes a directory and everything in it by descriptor (<see cref="PinnedDirectory.RemoveTree"/>):
    /// no symlink is followed and no mount point crossed; one still mounted stops the removal with an
    /// error naming it. The path's parent is trusted (a root the runtime was given). Nothing there is fine.
    /// </summary>
    public static void RemoveTree(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        var parentPath = Path.GetDirectoryName(full)!;
        // the parent is the caller's (a --root may itself be a symlink, as /var/run is): resolved once, here
        if (new DirectoryInfo(parentPath).ResolveLinkTarget(returnFinalTarget: true) is { } target)
            parentPath = target.FullName;
        if (!PinnedDirectory.TryOpen(parentPath, out var parent))
            return;
        using (parent)
            parent.RemoveTree(Path.GetFileName(full));
    }

    private static void MakePrivate(string directory)
    {
        var info = new DirectoryInfo(directory);
        if (info.LinkTarget is not null)
            throw new IOException($"{directory} is a symlink; the runtime's directories must be real directories");
        if (info.UnixFileMode != DirectoryMode)
            File.SetUnixFileMode(directory, DirectoryMode);
    }
}
