using SandboxRt.Interop;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// A clone's RAM file lives on a tmpfs of its own, mounted on its state directory's guest-ram/. Guest
/// memory must never reach a disk: on a state directory on a disk file system (--root on ext4, or a /run
/// that is not a tmpfs, as on these machines) the kernel wrote every clone's RAM back to the disk while
/// the pod ran and left its blocks behind after the delete; and removing the file there truncated 57 MiB
/// of page cache inside `delete` (45 ms on ext4). The tmpfs holds at most the template's RAM size, and
/// goes when detached (<see cref="Unmount"/>), its pages once QEMU has unmapped them.
/// </summary>
internal static class GuestRamFileSystem
{
    private const long Page = 4096;

    /// <summary>
    /// Mounts a tmpfs of <paramref name="bytes"/> (rounded up to pages) on the existing empty directory
    /// <paramref name="name"/> of <paramref name="stateDirectory"/>, over an unbindable guard, so that no
    /// recursive bind taken on the host copies it (Storage/UnbindableGuard.cs).
    /// </summary>
    public static void Mount(string stateDirectory, string name, long bytes)
    {
        using var state = PinnedDirectory.Open(stateDirectory);
        using var target = state.OpenDirectory(name);
        try
        {
            Storage.UnbindableGuard.Place(target);
            KeyValuePair<string, string>[] options = [new("mode", "0700"), new("size", ((bytes + Page - 1) / Page * Page).ToString()), new("nr_inodes", "8")];
            using var tmpfs = DetachedMount.Create("tmpfs", options, MountAttributes.NoSuid | MountAttributes.NoDev | MountAttributes.NoExec);
            tmpfs.AttachTo(target);
        }
        catch
        {
            state.Unmount(name); // the guard, when the tmpfs could not go on it
            throw;
        }
    }

    /// <summary>Detaches what is mounted on <paramref name="name"/> in <paramref name="stateDirectory"/>, if anything (no symlink followed); nothing there is fine.</summary>
    public static void Unmount(string stateDirectory, string name)
    {
        if (!PinnedDirectory.TryOpen(stateDirectory, out var state))
            return;
        using (state)
            state.Unmount(name);
    }
}
