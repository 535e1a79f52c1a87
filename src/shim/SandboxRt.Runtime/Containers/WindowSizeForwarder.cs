using System.Runtime.InteropServices;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Containers;

/// <summary>SIGWINCH on the host terminal → TtyWinResize for the container's terminal.</summary>
public sealed class WindowSizeForwarder : IDisposable
{
    private readonly PosixSignalRegistration _registration;

    private WindowSizeForwarder(PosixSignalRegistration registration) => _registration = registration;

    public static WindowSizeForwarder? Start(IAgentStdio agent, string containerId, SafeHandle terminal, string execId = "")
    {
        if (PseudoTerminal.GetWindowSize(terminal) is null)
            return null;
        var registration = PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context =>
        {
            context.Cancel = true;
            if (PseudoTerminal.GetWindowSize(terminal) is { } size)
                _ = agent.ResizeAsync(containerId, execId, size.Rows, size.Columns).ContinueWith(_ => { }, TaskContinuationOptions.OnlyOnFaulted);
        });
        // The size the terminal has right now (the caller may have set it before SIGWINCH was wired).
        if (PseudoTerminal.GetWindowSize(terminal) is { Rows: > 0 } initial)
            _ = agent.ResizeAsync(containerId, execId, initial.Rows, initial.Columns).ContinueWith(_ => { }, TaskContinuationOptions.OnlyOnFaulted);
        return new WindowSizeForwarder(registration);
    }

    public void Dispose() => _registration.Dispose();
}
