using System.Reflection;

namespace SandboxRt.Shim.Cli;

/// <summary>The shim's version, as `-v` prints it and Connect reports it.</summary>
internal static class ShimVersion
{
    private static readonly string Informational =
        typeof(ShimVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version => Informational.Split('+')[0];

    public static string Revision => Informational.Contains('+') ? Informational.Split('+')[1] : "unknown";
}
