using System.Net.Http;
using Grpc.Core;
using SandboxRt.Runtime.Channels;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// What a failed gRPC call means to the host, read from its status code and the exception Grpc.Net.Client
/// attaches (Status.DebugException), never from message text: whether the call never left (the
/// connection could not be set up, so retrying cannot run it twice), and whether the relay holding the
/// guest channel is gone for good.
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

    public static RelayGoneException? RelayGone(RpcException e) => Find<RelayGoneException>(e.Status.DebugException);

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (var x = e; x is not null; x = x.InnerException)
            if (x is T found)
                return found;
        return null;
    }
}
