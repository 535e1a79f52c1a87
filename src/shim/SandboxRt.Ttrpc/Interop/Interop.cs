namespace SandboxRt.Ttrpc;

/// <summary>
/// The one libc declaration ttrpc keeps: statx, for the type of its socket's path (geteuid and getegid
/// come from Tmds.LibC). Ours, as SandboxRt.Interop keeps its own statx (README, Dependencies); ttrpc
/// does not reference SandboxRt.Interop, so that it depends on nothing of ours but SandboxRt.Grpc's
/// status codes. errno never leaves this folder as a number alone.
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";
}
