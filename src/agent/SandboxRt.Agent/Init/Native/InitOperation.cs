namespace SandboxRt.Agent.Init.Native;

/// <summary>The operations sandboxrt-init runs (src/agent/sandboxrt-init/sandboxrt-init.c has the same numbers and each one's arguments).</summary>
internal enum InitOperation : byte
{
    SetNamespace = 1,
    Unshare = 2,
    Terminal = 3,
    ResourceLimit = 4,
    WriteFile = 5,
    Ready = 6,
    ChangeDirectory = 7,
    DefaultSignals = 8,
    Seccomp = 9,
    BoundingSet = 10,
    User = 11,
    Capabilities = 12,
    RaiseAmbient = 13,
    Umask = 14,
    NoNewPrivileges = 15,
    Resolve = 16,
    Execute = 17,
    Mount = 18,
    MountInRoot = 19,
    MakeDeviceInRoot = 20,
    SymlinkInRoot = 21,
    CreateDirectoryInRoot = 22,
    PivotRoot = 23,
    Hostname = 24,
    ReadonlyPath = 25,
    MaskPath = 26,
    LinkUp = 27,
}
