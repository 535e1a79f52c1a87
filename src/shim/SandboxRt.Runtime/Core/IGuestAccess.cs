using SandboxRt.Runtime.Agent;

namespace SandboxRt.Runtime.Core;

/// <summary>How the host reaches into a sandbox's guest: the agent that runs its containers, and the storage that carries their files in.</summary>
public interface IGuestAccess
{
    string Id { get; }

    IAgent Agent { get; }

    IContainerStorage Storage { get; }
}
