using System.Reflection;

namespace SandboxRt.Runtime.Diagnostics;

/// <summary>The version every SandboxRt binary reports (one Version for the repository, the git commit the build came from).</summary>
public static class BuildVersion
{
    private static readonly string Informational =
        typeof(BuildVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>The release version, e.g. "0.1.0".</summary>
    public static string Version => Informational.Split('+')[0];

    /// <summary>The git commit the build came from, when the build knew it.</summary>
    public static string Commit => Informational.Contains('+') ? Informational.Split('+')[1] : "unknown";
}
