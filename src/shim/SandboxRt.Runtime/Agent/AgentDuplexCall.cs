using Grpc.Core;

namespace SandboxRt.Runtime.Agent;

/// <summary>
/// What the agent's long-lived duplex calls (ForwardDns, ForwardPort) share: the call is open once the
/// agent's response headers carry the call's mark, sent before any message; headers without it are a
/// trailers-only answer, an error (or an agent without the method), surfaced as <see cref="AgentException"/>.
/// Completing half-closes the request side, whether or not the call is still running.
/// </summary>
internal static class AgentDuplexCall
{
    /// <summary>
    /// Sends <paramref name="first"/> (when given), then waits for the headers marked <paramref name="mark"/>.
    /// The call is disposed when it does not open.
    /// </summary>
    public static async Task OpenAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, string method, string mark, string withoutMark,
        TRequest? first, CancellationToken cancellationToken)
        where TRequest : class
    {
        try
        {
            if (first is not null)
                await call.RequestStream.WriteAsync(first, cancellationToken);
            var headers = await call.ResponseHeadersAsync.WaitAsync(cancellationToken);
            if (headers.Get(mark) is null)
            {
                await call.ResponseStream.MoveNext(cancellationToken); // trailers-only: throws with the call's status
                throw new AgentException(AgentErrorKind.Internal, method, withoutMark);
            }
        }
        catch (RpcException e)
        {
            call.Dispose();
            throw AgentCallFailure.Surface(method, e);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Half-closes the request side; a call that has ended already is left as it is.</summary>
    public static async Task CompleteAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call)
    {
        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // the call has ended already
        }
    }
}
