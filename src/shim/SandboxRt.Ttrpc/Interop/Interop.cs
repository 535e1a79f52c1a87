namespace SandboxRt.Ttrpc;

/// <summary>
/// The few libc calls ttrpc needs (its own copy, so the project depends on nothing but SandboxRt.Grpc's
/// status codes). One topic per file; errno never leaves this folder as a number alone.
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";
}
