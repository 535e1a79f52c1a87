using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// The two ends an exec relay joins: the container's agent and the relay's own stdio.
/// <see cref="ExecRelayEnds"/> is the real pair (the init relay's proxy socket, the inherited descriptors
/// or a host terminal); the unit tests give a fake agent and streams.
/// </summary>
internal interface IExecRelayEnds
{
    /// <summary>A client for the recorded container's agent (it connects on its first call).</summary>
    IAgent ConnectAgent(ContainerRecord record, string stateDirectory);

    /// <summary>Starts copying the process's stdio between <paramref name="agent"/> and the caller: its descriptors, or a terminal sent over <paramref name="consoleSocket"/>.</summary>
    RelayStdio AttachStdio(IAgentStdio agent, string id, string execId, string? consoleSocket, ILogger log);
}
