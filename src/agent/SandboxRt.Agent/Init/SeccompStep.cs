using SandboxRt.Agent.Init.Syscalls;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Seccomp;

namespace SandboxRt.Agent.Init;

/// <summary>The container's seccomp profile: compiled while the container is built, installed just before execve.</summary>
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

    /// <summary>Installs the filter on the calling thread. From here on the runtime itself is filtered until execve.</summary>
    public static void Install(SeccompProgram? program, IProcessSyscalls sys)
    {
        if (program is null)
            return;
        try
        {
            sys.InstallSeccomp(program);
        }
        catch (SyscallException e)
        {
            throw new InitStepException("linux.seccomp", e.Message, e);
        }
    }
}
