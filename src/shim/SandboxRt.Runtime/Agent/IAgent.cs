namespace SandboxRt.Runtime.Agent;

/// <summary>
/// One guest agent, as the host's flows use it: the eight concerns together. <see cref="AgentClient"/> is
/// the real one (gRPC over the guest channel; protocol types stop inside it); the unit tests' FakeAgent
/// records calls and scripts answers. Code that needs one concern takes that interface.
/// </summary>
public interface IAgent : IAgentContainers, IAgentProcesses, IAgentStdio, IAgentGuest, IAgentNetwork, IAgentDns, IAgentPorts, IAgentEvents, IDisposable
{
}
