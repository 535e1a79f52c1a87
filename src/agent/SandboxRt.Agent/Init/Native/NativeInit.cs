using SandboxRt.Agent.Containers;

namespace SandboxRt.Agent.Init.Native;

/// <summary>
/// Where sandboxrt-init is: next to the agent in the guest image (/sandboxrt-init, built by
/// src/guest-image/build.sh), and the descriptors it is spawned with.
/// </summary>
internal static class NativeInit
{
    public const string FileName = "sandboxrt-init";

    /// <summary>The init socket, as the init sees it.</summary>
    public const int SocketFd = 3;

    /// <summary>For an exec: the container's mount namespace, joined first.</summary>
    public const int MountNamespaceFd = 4;

    private static readonly Lazy<string?> Found = new(() =>
    {
        var directory = System.IO.Path.GetDirectoryName(Environment.ProcessPath ?? "/init") ?? "/";
        var path = System.IO.Path.Combine(directory, FileName);
        return File.Exists(path) ? path : null;
    });

    /// <summary>The program's path; an image without it cannot build containers.</summary>
    public static string Path => Found.Value
        ?? throw new InitFailedException("init", $"this guest image has no /{FileName} (images from before it existed): rebuild it with `make guest-image`", null);
}
