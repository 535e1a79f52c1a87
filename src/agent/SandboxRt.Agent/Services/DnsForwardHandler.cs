using Google.Protobuf;
using SandboxRt.Agent.Network;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;

namespace SandboxRt.Agent.Services;

/// <summary>
/// ForwardDns: while the host keeps the call open, <see cref="GuestDnsListener"/> listens on
/// 127.0.0.11:53 (UDP and TCP); each query goes to the host as a response message, each answer the host sends back goes
/// to the client that asked. The response headers go out once the listener is bound (the host waits for
/// them before it lets the container start). The call ends when the host half-closes or cancels it, or
/// when either direction fails; the listener goes with it.
/// </summary>
internal static class DnsForwardHandler
{
    private static readonly Dictionary<string, string> Listening = new() { [AgentMethods.DnsListeningHeader] = "1" };

    public static async Task HandleAsync(IServerStreamReader<DnsAnswer> answers, IServerStreamWriter<DnsQuery> queries, ServerCallContext context)
    {
        using var listener = GuestDnsListener.Bind();
        await context.WriteResponseHeadersAsync(Listening, context.CancellationToken);
        AgentLog.Info($"ForwardDns: listening on {GuestDnsListener.Address} (UDP and TCP)");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var sending = SendQueriesAsync(listener, queries, stop.Token);
        var answering = ReturnAnswersAsync(listener, answers, stop.Token);
        var first = await Task.WhenAny(sending, answering);
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(sending, answering);
        }
        catch (OperationCanceledException) when (first.IsCompletedSuccessfully)
        {
            // the other direction, stopped because the host half-closed
        }
        finally
        {
            AgentLog.Info("ForwardDns: stopped listening");
        }
    }

    private static async Task SendQueriesAsync(GuestDnsListener listener, IServerStreamWriter<DnsQuery> queries, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (id, message, tcp) = await listener.ReceiveAsync(cancellationToken);
            await queries.WriteAsync(new DnsQuery { Id = id, Message = UnsafeByteOperations.UnsafeWrap(message), Tcp = tcp }, cancellationToken);
        }
    }

    private static async Task ReturnAnswersAsync(GuestDnsListener listener, IServerStreamReader<DnsAnswer> answers, CancellationToken cancellationToken)
    {
        for (var answer = await answers.ReadAsync(cancellationToken); answer is not null; answer = await answers.ReadAsync(cancellationToken))
            await listener.AnswerAsync(answer.Id, answer.Message.Memory, cancellationToken);
    }
}
