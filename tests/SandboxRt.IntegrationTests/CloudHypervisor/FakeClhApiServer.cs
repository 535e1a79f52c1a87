using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.IntegrationTests.CloudHypervisor;

/// <summary>
/// Stands in for Cloud Hypervisor's API server: HTTP/1.1 on a Unix socket (reached through the fake
/// cloud-hypervisor executable, see FakeClhExecutable). Every request is recorded and checked against
/// the OpenAPI schemas; a request that does not conform gets 400 and its problems are kept in
/// <see cref="Violations"/>. vm.create opens the hybrid vsock socket the body names, answering
/// "CONNECT port" with "OK" and then echoing, as the guest's agent end would carry bytes.
/// vm.info answers with the created config as vm.resize changed it, with Cloud Hypervisor's rules for
/// ACPI hot-plug (vmm/src/vm.rs and memory_manager.rs): desired_vcpus up to max_vcpus; a larger
/// desired_ram in 128 MiB steps within hotplug_size; a smaller one changes no memory but is written into
/// the config all the same. <see cref="Fail"/> makes an endpoint answer with an error instead.
/// </summary>
internal sealed class FakeClhApiServer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly OpenApiSchemaChecker _checker = OpenApiSchemaChecker.Load();
    private readonly List<Socket> _open = [];
    private readonly object _lock = new();
    private readonly List<string> _requests = [], _violations = [], _vsockConnects = [];

    public FakeClhApiServer(string socketPath)
    {
        SocketPath = socketPath;
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _ = AcceptAsync(_listener, HandleApiAsync);
    }

    public string SocketPath { get; }

    /// <summary>"METHOD /endpoint" of each request, in arrival order.</summary>
    public IReadOnlyList<string> Requests { get { lock (_lock) return [.. _requests]; } }
    public IReadOnlyList<string> Violations { get { lock (_lock) return [.. _violations]; } }
    public IReadOnlyList<string> VsockConnects { get { lock (_lock) return [.. _vsockConnects]; } }
    public JsonObject? LastCreateBody { get; private set; }

    /// <summary>The bodies of the vm.resize requests that conformed, in arrival order.</summary>
    public IReadOnlyList<string> ResizeBodies { get { lock (_lock) return [.. _resizeBodies]; } }
    private readonly List<string> _resizeBodies = [];
    private readonly Dictionary<string, string> _failures = [];
    private long _bootMemory;

    /// <summary>From now on, <paramref name="endpoint"/> (e.g. "vm.resize") answers with this status line and body.</summary>
    public void Fail(string endpoint, string status, string body)
    {
        lock (_lock)
            _failures["/" + endpoint] = $"{status}\n{body}";
    }

    /// <summary>Completes when a request for <paramref name="endpoint"/> has arrived.</summary>
    public Task Seen(string endpoint) => _seen.GetOrAdd(endpoint, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _seen = new();

    private async Task AcceptAsync(Socket listener, Func<Socket, Task> handle)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_lock)
                _open.Add(connection);
            _ = handle(connection);
        }
    }

    private async Task HandleApiAsync(Socket connection)
    {
        using var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            while (await ReadRequestAsync(stream) is var (method, path, body))
            {
                var endpoint = path.Replace("/api/v1", "");
                var problems = _checker.Check(method, path, body);
                lock (_lock)
                {
                    _requests.Add($"{method} {endpoint}");
                    _violations.AddRange(problems);
                }
                string status = problems.Count > 0 ? "400 Bad Request" : "204 No Content", extra = "", content = problems.Count > 0 ? string.Join('\n', problems) : "";
                string? failure;
                lock (_lock)
                    failure = _failures.GetValueOrDefault(endpoint);
                if (problems.Count == 0 && failure is not null)
                    (status, content) = (failure.Split('\n', 2)[0], failure.Split('\n', 2)[1]);
                else if (problems.Count == 0 && endpoint == "/vmm.ping")
                    (status, content) = ("200 OK", """{"version":"fake-0.0","pid":1}""");
                else if (problems.Count == 0 && endpoint == "/vm.create")
                {
                    LastCreateBody = JsonNode.Parse(body)!.AsObject();
                    _bootMemory = (long)LastCreateBody["memory"]!["size"]!;
                    ListenVsock((string)LastCreateBody["vsock"]!["socket"]!);
                }
                else if (problems.Count == 0 && endpoint == "/vm.info")
                    (status, content) = LastCreateBody is null ? ("404 Not Found", "VM is not created")
                        : ("200 OK", new JsonObject { ["config"] = LastCreateBody.DeepClone(), ["state"] = "Running" }.ToJsonString());
                else if (problems.Count == 0 && endpoint == "/vm.resize")
                {
                    lock (_lock)
                        _resizeBodies.Add(body);
                    if (Resize(JsonNode.Parse(body)!.AsObject()) is { } refusal)
                        (status, content) = ("500 Internal Server Error", refusal);
                }
                if (endpoint == "/vmm.shutdown")
                    extra = "X-Fake-Vmm-Exit: 1\r\n"; // the fake executable exits after passing this on
                var response = $"HTTP/1.1 {status}\r\nServer: fake-clh\r\n{extra}Content-Length: {Encoding.UTF8.GetByteCount(content)}\r\n\r\n{content}";
                await stream.WriteAsync(Encoding.UTF8.GetBytes(response));
                _seen.GetOrAdd(endpoint.TrimStart('/'), _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Applies a vm.resize as Cloud Hypervisor does with ACPI hot-plug; returns its error text when it refuses.</summary>
    private string? Resize(JsonObject request)
    {
        var cpus = LastCreateBody!["cpus"]!.AsObject();
        var memory = LastCreateBody["memory"]!.AsObject();
        if ((int?)request["desired_vcpus"] is { } vcpus)
        {
            if (vcpus > (int)cpus["max_vcpus"]!)
                return "Error resizing VM: CpuManager(DesiredVCpuCountExceedsMax)";
            cpus["boot_vcpus"] = vcpus;
        }
        if ((long?)request["desired_ram"] is { } ram)
        {
            long size = (long)memory["size"]!, room = _bootMemory + ((long?)memory["hotplug_size"] ?? 0);
            if (ram > size && (ram - size) % (128L << 20) != 0)
                return "Error resizing VM: MemoryManager(InvalidSize)";
            if (ram > room)
                return "Error resizing VM: MemoryManager(InsufficientHotplugRam)";
            memory["size"] = ram; // a smaller size is written too, though no memory went away
        }
        return null;
    }

    private static async Task<(string Method, string Path, string Body)?> ReadRequestAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0)
                return null;
            head.Append((char)one[0]);
        }
        var lines = head.ToString().Split("\r\n");
        var requestLine = lines[0].Split(' ');
        int length = lines.Skip(1).Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => int.Parse(l["Content-Length:".Length..].Trim())).FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return (requestLine[0], requestLine[1], Encoding.UTF8.GetString(body));
    }

    private void ListenVsock(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        lock (_lock)
            _open.Add(listener);
        _ = AcceptAsync(listener, HandleVsockAsync);
    }

    private async Task HandleVsockAsync(Socket connection)
    {
        using var stream = new NetworkStream(connection, ownsSocket: true);
        try
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (await stream.ReadAsync(one) == 1 && one[0] != '\n')
                line.Append((char)one[0]);
            lock (_lock)
                _vsockConnects.Add(line.ToString());
            await stream.WriteAsync("OK 1073741824\n"u8.ToArray());
            var buffer = new byte[256];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
                await stream.WriteAsync(buffer.AsMemory(0, n));
        }
        catch (IOException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        lock (_lock)
            foreach (var socket in _open)
                socket.Dispose();
        File.Delete(SocketPath);
        return ValueTask.CompletedTask;
    }
}
