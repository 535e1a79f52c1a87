using System.Net.Http;
using Grpc.Core;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// What a failed gRPC call means to the host, read from its status code and the exception Grpc.Net.Client
/// attaches (Status.DebugException), never from message text: whether the call never left (the
/// connection could not be set up, so retrying cannot run it twice), and whether what serves the guest
/// channel (the relay, or the VM itself) is gone for good.
/// </summary>
internal static class AgentCallFailure
{
    public static bool NotSent(RpcException e)
    {
        if (e.StatusCode != StatusCode.Unavailable)
            return false;
        for (var x = e.Status.DebugException; x is not null; x = x.InnerException)
            if (x is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
                return true;
        return false;
    }

    public static AgentPeerGoneException? PeerGone(RpcException e) => Find<AgentPeerGoneException>(e.Status.DebugException);

    /// <summary>
    /// How a call that failed surfaces: a gone relay as itself (the CLI prints what to do about it), a
    /// gone VM as an Unavailable <see cref="AgentException"/>, which every caller already handles as "the
    /// guest cannot answer", and anything else mapped from its status.
    /// </summary>
    public static Exception Surface(string method, RpcException e) => PeerGone(e) switch
    {
        VmGoneException vm => new AgentException(AgentErrorKind.Unavailable, method, vm.Message, vm),
        { } relay => relay,
        null => AgentMapping.ToException(method, e),
    };

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is T found)
                return found;
        return null;
    }
}
