using System.Runtime.InteropServices;
using SandboxRt.Interop;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// runc run's signal handling: signals sent to the runtime are forwarded to the container's init (or, in
/// an exec's relay, to that exec) instead of ending the runtime (all but SIGCHLD, SIGWINCH and SIGURG; SIGKILL and SIGSTOP cannot be caught).
/// A process that forwards must take these signals back first thing in Main
/// (<see cref="SignalDispositions.TakeBack"/> of <see cref="Forwarded"/>): one started with SIGINT
/// ignored, as every `cmd &amp;` in a script is, would otherwise never see it.
/// </summary>
public sealed class SignalForwarder : IDisposable
{
    /// <summary>The signals forwarded: HUP, INT, QUIT, USR1, USR2, ALRM, TERM, CONT, TSTP.</summary>
    public static readonly IReadOnlyList<int> Forwarded = [1, 2, 3, 10, 12, 14, 15, 18, 20];

    private readonly List<PosixSignalRegistration> _registrations = new();

    public SignalForwarder(IAgentProcesses agent, string containerId, Action<Exception>? onError = null)
        : this(agent, containerId, execId: "", onError)
    {
    }

    /// <param name="execId">The process signals go to: an exec's id, or "" for the container's init.</param>
    public SignalForwarder(IAgentProcesses agent, string containerId, string execId, Action<Exception>? onError)
    {
        foreach (var number in Forwarded)
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create((PosixSignal)ToPosixSignal(number), context =>
                {
                    context.Cancel = true;
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await agent.SignalAsync(containerId, execId, number, all: false);
                        }
                        catch (Exception e)
                        {
                            onError?.Invoke(e);
                        }
                    });
                }));
            }
            catch (PlatformNotSupportedException)
            {
            }
            // .NET leaves a signal it found ignored ignored, silently: say so instead of never forwarding it
            if (SignalDispositions.IsIgnored(number))
                onError?.Invoke(new InvalidOperationException($"signal {number} is ignored by this process and cannot be forwarded (it was not taken back at start-up)"));
        }
    }

    /// <summary>PosixSignal's own values for the named signals (negative), the raw number otherwise.</summary>
    private static int ToPosixSignal(int number) => number switch
    {
        1 => (int)PosixSignal.SIGHUP,
        2 => (int)PosixSignal.SIGINT,
        3 => (int)PosixSignal.SIGQUIT,
        15 => (int)PosixSignal.SIGTERM,
        18 => (int)PosixSignal.SIGCONT,
        20 => (int)PosixSignal.SIGTSTP,
        _ => number,
    };

    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
    }
}
