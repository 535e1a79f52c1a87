using SandboxRt.Oci.Spec;
using SandboxRt.Runtime.Core;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>An <see cref="IContainerStorage"/> that places nothing: it records what it was asked to attach and detach, and leaves the spec as it is.</summary>
internal sealed class FakeContainerStorage : IContainerStorage
{
    private readonly List<string> _calls = [];

    /// <summary>A copy of "attach ID" and "detach ID" so far, in order (a pod removes containers from background tasks while a test reads).</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
                return _calls.ToArray();
        }
    }

    public AttachedContainer Attach(Spec spec, string bundle, string containerId, bool networkMirrored)
    {
        lock (_calls)
            _calls.Add("attach " + containerId);
        return new AttachedContainer(containerId, containerId, spec);
    }

    public void Detach(AttachedContainer container)
    {
        lock (_calls)
            _calls.Add("detach " + container.ContainerId);
    }
}
