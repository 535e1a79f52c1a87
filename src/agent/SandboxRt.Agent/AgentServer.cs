using SandboxRt.Agent.Boot;
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

    public static async Task<GrpcKestrelServer> StartAsync(AgentChannel channel, BootFacts facts, CancellationToken cancellationToken = default)
    {
        facts.Transport = channel.Name;
        var table = new GrpcServiceTable();
        var names = new HashSet<string>(StringComparer.Ordinal) { AgentMethods.HealthService, AgentMethods.AgentService };
        new HealthService(names).Register(table);
        new GuestInfoService(facts).Register(table);

        var loggerFactory = new AgentLoggerFactory();
        var application = new GrpcHttpApplication(table, Limits, loggerFactory.CreateLogger("grpc"))
        {
            MapException = StatusMapping.Map,
        };
        return await GrpcKestrelServer.StartAsync(channel.EndPoint, application, channel.Transport, loggerFactory, cancellationToken);
    }
}
