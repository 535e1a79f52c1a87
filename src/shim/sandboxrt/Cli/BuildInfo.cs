using SandboxRt.Runtime.Diagnostics;

namespace SandboxRt.Cli.Cli;

/// <summary>Version facts printed by --version.</summary>
internal static class BuildInfo
{
    public const string OciSpecVersion = "1.2.0";

    public static string Version => BuildVersion.Version;

    public static string Commit => BuildVersion.Commit;

    /// <summary>runc's --version format, which Docker and containerd parse ("runc version X" on the first line).</summary>
    public static string VersionText =>
        $"sandboxrt version {Version}\ncommit: {Commit}\nspec: {OciSpecVersion}\nagent-api: sandboxrt.agent.v1\ndotnet: {Environment.Version}";
}
