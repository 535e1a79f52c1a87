using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// How a CLI call reaches a recorded container's agent: through its relay's proxy socket while the relay
/// lives (the relay holds the one-client guest channel, already authenticated; the proxy socket is in the
/// root-only socket directory), directly on the channel after it has gone, authenticated with the token
/// the sandbox's state directory keeps. A container that joined another's sandbox (Network/NetworkJoin.cs)
/// is reached through its own relay while it lives, then as the container whose VM it runs in.
/// </summary>
public static class AgentEndpoints
{
    public const string ProxySocketName = "proxy.sock";

    public static string ProxySocket(string stateDirectory) => Path.Combine(Storage.SocketDirectory.For(stateDirectory), ProxySocketName);

    public static IAgentConnector For(ContainerRecord record, string stateDirectory)
    {
        var proxy = ProxySocket(stateDirectory);
        if (record.Relay is { IsAlive: true } relay && Path.Exists(proxy))
            return new RelayProxyConnector(record.Id, proxy, relay);
        if (record.JoinedSandbox is { } sandbox)
        {
            // its relay is gone: the agent is the sandbox's, reached as that container's is
            var store = new StateStore(Path.GetDirectoryName(stateDirectory)!);
            return For(store.Load(sandbox), store.Directory(sandbox));
        }
        return new AuthenticatingConnector(new SerialChannelConnector(Hypervisors.VmmRecord.Load(stateDirectory).AgentSocket ?? Path.Combine(Storage.SocketDirectory.For(stateDirectory), "agent.sock")), AgentToken.Load(stateDirectory));
    }
}
