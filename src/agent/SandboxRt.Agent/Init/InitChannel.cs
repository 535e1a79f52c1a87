using System.Text.Json;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Init;

/// <summary>The agent–init socket: typed messages, each optionally carrying one descriptor.</summary>
internal sealed class InitChannel(SafeFdHandle socket) : IDisposable
{
    public const int MaxMessageBytes = 8 * 1024 * 1024;

    public SafeFdHandle Socket => socket;

    public void Send(InitMessage message, System.Runtime.InteropServices.SafeHandle? attached = null) =>
        FdPassingSocket.Send(socket, JsonSerializer.SerializeToUtf8Bytes(message, InitJsonContext.Default.InitMessage), attached);

    /// <summary>sandboxrt-init's plan: its binary form, in the same framing.</summary>
    public void SendPlan(Native.InitPlan plan) => FdPassingSocket.Send(socket, plan.ToArray());

    /// <summary>Bytes as they are, in the same framing (the hooks' state JSON for sandboxrt-init).</summary>
    public void SendRaw(byte[] bytes) => FdPassingSocket.Send(socket, bytes);

    /// <summary>The next message, or null when the peer closed its end.</summary>
    public InitMessage? Receive(out SafeFdHandle? attached)
    {
        var bytes = FdPassingSocket.Receive(socket, MaxMessageBytes, out attached);
        if (bytes is null)
            return null;
        return JsonSerializer.Deserialize(bytes, InitJsonContext.Default.InitMessage)
            ?? throw new InvalidDataException("init protocol: an empty message");
    }

    public InitMessage? Receive()
    {
        var message = Receive(out var attached);
        attached?.Dispose();
        return message;
    }

    public void Dispose() => socket.Dispose();
}
