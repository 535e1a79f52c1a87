using Microsoft.Extensions.Logging;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>The gRPC proxy a relay serves to later CLI calls: every call it receives goes to one agent client's connection.</summary>
public static class AgentProxy
{
    /// <summary>
    /// Serves <paramref name="client"/>'s agent on <paramref name="socketPath"/>, and makes one call through
    /// it before anyone else does: the first connection is where a freshly started process does its
    /// slowest work, and no CLI call should pay for it. Disposing the result stops serving.
    /// </summary>
    public static async Task<IAsyncDisposable> ServeAsync(AgentClient client, string socketPath, ILogger log)
    {
        var proxy = await Grpc.Server.GrpcKestrelServer.StartAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath), client.CreateProxy(),
            loggerFactory: new LoggerFactoryAdapter(log));
        using var warm = new AgentClient(new UnixSocketConnector(socketPath));
        await warm.CheckAsync();
        return proxy;
    }
}
