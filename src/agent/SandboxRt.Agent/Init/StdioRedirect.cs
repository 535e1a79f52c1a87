using SandboxRt.Interop;

namespace SandboxRt.Agent.Init;

internal static class StdioRedirect
{
    /// <summary>Makes the terminal the process's stdin, stdout and stderr.</summary>
    public static void ToTerminal(SafeFdHandle terminal)
    {
        Descriptors.DuplicateTo(terminal, 0);
        Descriptors.DuplicateTo(terminal, 1);
        Descriptors.DuplicateTo(terminal, 2);
    }
}
