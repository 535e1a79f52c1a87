using SandboxRt.Interop;

namespace SandboxRt.Agent.Init;

/// <summary>Runs one step of building a container, turning a system failure into an error that names the step.</summary>
internal static class InitStep
{
    public static void Run(string step, Action action)
    {
        try
        {
            action();
        }
        catch (InitStepException)
        {
            throw;
        }
        catch (Exception e) when (e is SyscallException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InitStepException(step, e.Message, e);
        }
    }
}
