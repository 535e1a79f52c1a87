using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// An exec relay's ends without a VM or descriptors: a <see cref="FakeAgent"/> for the container's agent,
/// and streams for the relay's stdio (<see cref="Stdin"/> is read to its end; output lands in
/// <see cref="Stdout"/> and <see cref="Stderr"/>). It keeps the state directory and console socket it was given.
/// </summary>
internal sealed class FakeExecRelayEnds : IExecRelayEnds
{
    public FakeAgent Agent { get; } = new();
    public Stream Stdin { get; set; } = Stream.Null;
    public MemoryStream Stdout { get; } = new();
    public MemoryStream Stderr { get; } = new();

    /// <summary>The state directory the agent was reached from (null until then).</summary>
    public string? StateDirectory { get; private set; }

    /// <summary>Whether stdio was attached, and with which console socket.</summary>
    public (bool Attached, string? ConsoleSocket) Stdio { get; private set; }

    public IAgent ConnectAgent(ContainerRecord record, string stateDirectory)
    {
        StateDirectory = stateDirectory;
        return Agent;
    }

    public RelayStdio AttachStdio(IAgentStdio agent, string id, string execId, string? consoleSocket, ILogger log)
    {
        Stdio = (true, consoleSocket);
        return RelayStdio.Over(agent, id, execId, Stdin, Stdout, Stderr, log);
    }
}
