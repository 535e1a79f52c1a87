using SandboxRt.Agent.Network;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>The networking RPCs: protocol messages in, <see cref="GuestNetwork"/> calls, messages out.</summary>
internal sealed class NetworkService(GuestNetwork network)
{
    public void Register(GrpcServiceTable table) => table
        .AddUnary(AgentMethods.UpdateInterface, (r, _) => Run(() => NetworkMapping.FromInterface(network.UpdateInterface(NetworkMapping.ToInterface(r.Interface)))))
        .AddUnary(AgentMethods.UpdateRoutes, (r, _) => Run(() => NetworkMapping.FromRoutes(network.UpdateRoutes(NetworkMapping.ToRoutes(r.Routes)))))
        .AddUnary(AgentMethods.RemoveRoutes, (r, _) => Run(() => NetworkMapping.FromRoutes(network.RemoveRoutes(NetworkMapping.ToRoutes(r.Routes)))))
        .AddUnary(AgentMethods.AddArpNeighbors, (r, _) => Run(() => { network.AddNeighbours(NetworkMapping.ToNeighbours(r.Neighbors)); return new Empty(); }))
        .AddUnary(AgentMethods.ListInterfaces, (_, _) => Run(() =>
        {
            var result = new Interfaces();
            result.Interfaces_.AddRange(network.ListInterfaces().Select(NetworkMapping.FromInterface));
            return result;
        }))
        .AddUnary(AgentMethods.ListRoutes, (_, _) => Run(() => NetworkMapping.FromRoutes(network.ListRoutes())))
        .AddDuplexStreaming(AgentMethods.ForwardDns, DnsForwardHandler.HandleAsync)
        .AddDuplexStreaming(AgentMethods.ForwardPort, (requests, responses, context) => PortForwardHandler.HandleAsync(requests, responses, context));

    /// <summary>Netlink calls block briefly; they run off the connection's thread.</summary>
    private static Task<T> Run<T>(Func<T> work) => Task.Run(work);
}
