namespace SandboxRt.Agent.Init.Native;

/// <summary>
/// Where sandboxrt-init is: next to the agent in the guest image (/sandboxrt-init). An image without it
/// (built before it existed) falls back to re-executing the agent as `sandboxrt-agent init`.
/// </summary>
internal static class NativeInit
{
    public const string FileName = "sandboxrt-init";

    private static readonly Lazy<string?> Found = new(() =>
    {
        var directory = System.IO.Path.GetDirectoryName(Environment.ProcessPath ?? "/init") ?? "/";
        var path = System.IO.Path.Combine(directory, FileName);
        return File.Exists(path) ? path : null;
    });

    /// <summary>The program's path, or null when this image has none.</summary>
    public static string? Path => Found.Value;
}
