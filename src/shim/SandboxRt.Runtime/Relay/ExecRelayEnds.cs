using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

/// <summary>The real ends of an exec relay: the agent through <see cref="AgentEndpoints"/>, the stdio the relay inherited or a host terminal.</summary>
internal sealed class ExecRelayEnds : IExecRelayEnds
{
    public static readonly ExecRelayEnds Instance = new();

    public IAgent ConnectAgent(ContainerRecord record, string stateDirectory) => new AgentClient(AgentEndpoints.For(record, stateDirectory));

    public RelayStdio AttachStdio(IAgentStdio agent, string id, string execId, string? consoleSocket, ILogger log) =>
        RelayStdio.Attach(agent, id, execId, consoleSocket, log);
}
