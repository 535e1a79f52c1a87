using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Core;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IContainerStorage"/> that places nothing: it records what it was asked to attach and detach, and leaves the spec as it is.</summary>
internal sealed class FakeContainerStorage : IContainerStorage
{
    /// <summary>"attach ID" and "detach ID", in order.</summary>
    public List<string> Calls { get; } = [];

    public Spec Attach(Spec spec, string bundle, string containerId, bool networkMirrored)
    {
        lock (Calls)
            Calls.Add("attach " + containerId);
        return spec;
    }

    public void Detach(string containerId)
    {
        lock (Calls)
            Calls.Add("detach " + containerId);
    }
}
