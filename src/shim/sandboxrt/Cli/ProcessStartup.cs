using SandboxRt.Interop;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.Cli.Cli;

/// <summary>
/// What a sandboxrt process does before anything else. `run` and the init relay forward the signals they
/// receive to the container's init (SignalForwarder), as runc does. Started from a script with `cmd &amp;`
/// they inherit SIGINT and SIGQUIT ignored, and .NET keeps an inherited SIG_IGN (it never installs its
/// handler), so those signals never reached the container; runc forwards them because Go's
/// signal.Notify takes an ignored signal back. Here the forwarded signals are reset from SIG_IGN to
/// SIG_DFL with a raw rt_sigaction before .NET's signal handling first looks at them, and .NET then
/// installs its handler for them as for any other signal. Verbs that do not forward keep what they
/// inherited, as runc's do.
/// </summary>
internal static class ProcessStartup
{
    /// <summary>Takes the forwarded signals back for `run` and `relay`; returns those that were ignored.</summary>
    public static IReadOnlyList<int> TakeBackForwardedSignals(string? verb) =>
        verb is "run" or "relay" ? SignalDispositions.TakeBack(SignalForwarder.Forwarded) : [];
}
