using System.Reflection;

namespace SandboxRt.Cli.Cli;

/// <summary>Version facts printed by --version.</summary>
internal static class BuildInfo
{
    public const string OciSpecVersion = "1.2.0";

    private static readonly string Informational =
        typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The release version, e.g. "0.1.0".</summary>
    public static string Version => Informational.Split('+')[0];

    /// <summary>The git commit the build came from, when the build knew it.</summary>
    public static string Commit => Informational.Contains('+') ? Informational.Split('+')[1] : "unknown";

    /// <summary>runc's --version format, which Docker and containerd parse ("runc version X" on the first line).</summary>
    public static string VersionText =>
        $"sandboxrt version {Version}\ncommit: {Commit}\nspec: {OciSpecVersion}\nagent-api: sandboxrt.agent.v1\ndotnet: {Environment.Version}";
}
