using System.Runtime.InteropServices;
using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Containers;

/// <summary>
/// runc run's signal handling: signals sent to the runtime are forwarded to the container's init instead
/// of ending the runtime (all but SIGCHLD, SIGWINCH and SIGURG; SIGKILL and SIGSTOP cannot be caught).
/// </summary>
public sealed class SignalForwarder : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = new();

    public SignalForwarder(AgentClient agent, string containerId, Action<Exception>? onError = null)
    {
        foreach (var (signal, number) in new[] { (PosixSignal.SIGINT, 2), (PosixSignal.SIGTERM, 15), (PosixSignal.SIGHUP, 1), (PosixSignal.SIGQUIT, 3),
                                                  ((PosixSignal)10, 10), ((PosixSignal)12, 12), ((PosixSignal)14, 14), ((PosixSignal)18, 18), ((PosixSignal)20, 20) })
        {
            try
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true;
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await agent.SignalAsync(containerId, "", number, all: false);
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
        }
    }

    public void Dispose()
    {
        foreach (var r in _registrations)
            r.Dispose();
    }
}
