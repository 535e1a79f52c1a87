using System.Reflection;

namespace SandboxRt.Agent;

internal static class AgentVersion
{
    /// <summary>The informational version of this build, e.g. "0.1.0+3f2a1c9".</summary>
    public static string Value { get; } =
        typeof(AgentVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
