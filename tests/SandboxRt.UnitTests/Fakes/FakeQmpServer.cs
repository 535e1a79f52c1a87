using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.UnitTests.Fakes;

/// <summary>
/// A QMP socket without QEMU: greets, accepts qmp_capabilities, and answers every other command with what
/// the test's handler returns (events first, then the reply, in the order given). Records the commands.
/// Serves one connection after another until disposed.
/// </summary>
internal sealed class FakeQmpServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Func<string, JsonObject?, IEnumerable<JsonObject>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public FakeQmpServer(string path, Func<string, JsonObject?, IEnumerable<JsonObject>> handler)
    {
        Path = path;
        _handler = handler;
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen();
        _serving = Task.Run(ServeAsync);
    }

    public string Path { get; }

    /// <summary>Sent to each connection before the greeting (what QEMU kept from while no client was connected).</summary>
    public List<JsonObject> BeforeGreeting { get; } = [];

    /// <summary>"command {arguments}" for every command but qmp_capabilities, in order.</summary>
    public List<string> Commands { get; } = [];

    public static JsonObject Return(JsonNode? value = null) => new() { ["return"] = value ?? new JsonObject() };
    public static JsonObject Error(string desc) => new() { ["error"] = new JsonObject { ["class"] = "GenericError", ["desc"] = desc } };
    public static JsonObject Event(string name, JsonObject data) => new() { ["event"] = name, ["data"] = data };

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var connection = await _listener.AcceptAsync(_stop.Token);
            await using var stream = new NetworkStream(connection);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            foreach (var early in BeforeGreeting)
                await WriteAsync(stream, early.DeepClone().AsObject());
            await WriteAsync(stream, new JsonObject { ["QMP"] = new JsonObject { ["version"] = new JsonObject() } });
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var request = JsonNode.Parse(line)!.AsObject();
                var command = (string)request["execute"]!;
                var arguments = request["arguments"] as JsonObject;
                if (command == "qmp_capabilities")
                {
                    await WriteAsync(stream, Return());
                    continue;
                }
                lock (Commands)
                    Commands.Add(arguments is null ? command : $"{command} {arguments.ToJsonString()}");
                foreach (var message in _handler(command, arguments))
                    await WriteAsync(stream, message);
            }
        }
    }

    private static async Task WriteAsync(NetworkStream stream, JsonObject message) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message.ToJsonString() + "\n"));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
        File.Delete(Path);
    }
}
