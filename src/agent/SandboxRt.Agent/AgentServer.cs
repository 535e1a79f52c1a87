using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Protocol;
using SandboxRt.Agent.Services;
using SandboxRt.Agent.Transport;
using SandboxRt.Grpc;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent;

/// <summary>Builds the agent's service table and serves it on a channel.</summary>
internal static class AgentServer
{
    /// <summary>The agent's message limit: large enough for an OCI spec with a seccomp profile.</summary>
    public static readonly GrpcLimits Limits = new() { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxSendMessageSize = 16 * 1024 * 1024 };

    /// <param name="token">The sandbox's secret: every connection must present it first (see Transport/AgentAuthentication.cs).</param>
    /// <param name="containers">The container manager; null on a host (serve mode), where container RPCs are not offered.</param>
    public static async Task<GrpcKestrelServer> StartAsync(AgentChannel channel, BootFacts facts, byte[] token, ContainerManager? containers, CancellationToken cancellationToken = default)
    {
        facts.Transport = channel.Name;
        var table = new GrpcServiceTable();
        var names = new HashSet<string>(StringComparer.Ordinal) { AgentMethods.HealthService, AgentMethods.AgentService };
        new HealthService(names).Register(table);
        new GuestInfoService(facts).Register(table);
        var secret = new AgentSecret(token);
        if (containers is not null)
            new ReseedService(secret).Register(table);
        if (containers is not null)
        {
            new ContainerService(containers).Register(table);
            new NetworkService(new Network.GuestNetwork()).Register(table);
        }

        var loggerFactory = new AgentLoggerFactory();
        var application = new GrpcHttpApplication(table, Limits, loggerFactory.CreateLogger("grpc"))
        {
            MapException = StatusMapping.Map,
            StatusDetailsOf = StatusMapping.DetailsOf,
        };
        var authentication = new AgentAuthentication(secret, AgentAuthPreamble.DefaultDeadline);
        return await GrpcKestrelServer.StartAsync(channel.EndPoint, application, channel.Transport, loggerFactory, authentication.Middleware, cancellationToken);
    }
}
