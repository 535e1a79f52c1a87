using System.Runtime.InteropServices;

namespace SandboxRt.Interop;

internal static partial class Interop
{
    // glibc's opaque types, over-allocated: posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336,
    // sigset_t 128.
    internal const int SpawnFileActionsSize = 256;
    internal const int SpawnAttrSize = 512;
    internal const int SigsetSize = 128;

    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;
    internal const short POSIX_SPAWN_SETSID = 0x80;


    [LibraryImport(Libc, EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int PosixSpawn(int* pid, string path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_init")]
    internal static unsafe partial int SpawnFileActionsInit(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static unsafe partial int SpawnFileActionsDestroy(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static unsafe partial int SpawnFileActionsAddDup2(void* actions, int fd, int newFd);

    // glibc 2.34+: close every descriptor from lowFd up in the child.
    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static unsafe partial int SpawnFileActionsAddCloseFrom(void* actions, int lowFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addchdir_np", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int SpawnFileActionsAddChdir(void* actions, string path);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_init")]
    internal static unsafe partial int SpawnAttrInit(void* attributes);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_destroy")]
    internal static unsafe partial int SpawnAttrDestroy(void* attributes);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setflags")]
    internal static unsafe partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigmask")]
    internal static unsafe partial int SpawnAttrSetSigMask(void* attributes, void* sigset);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigdefault")]
    internal static unsafe partial int SpawnAttrSetSigDefault(void* attributes, void* sigset);

    [LibraryImport(Libc, EntryPoint = "sigemptyset")]
    internal static unsafe partial int SigEmptySet(void* set);

    [LibraryImport(Libc, EntryPoint = "sigfillset")]
    internal static unsafe partial int SigFillSet(void* set);
}
