using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init;

/// <summary>The container's seccomp profile, compiled once per container; sandboxrt-init installs it just before execve.</summary>
internal static class SeccompStep
{
    /// <summary>Compiles the profile (null without one); a bad profile fails the create, naming the field.</summary>
    public static SeccompProgram? Compile(LinuxSeccomp? profile)
    {
        if (profile is null)
            return null;
        try
        {
            return SeccompCompiler.Compile(profile);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            throw new InitStepException("linux.seccomp", e.Message, e);
        }
    }
}
