using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Protocol;
using SandboxRt.Grpc.Server;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Services;

/// <summary>GuestDetails: what the guest is, read from /proc when asked; onlining what the host hot-plugged; and the channel's test stream.</summary>
internal sealed class GuestInfoService(BootFacts facts)
{
    public const ulong MaxTestBytes = 4UL << 30;
    private const int TestChunk = Containers.OutputPump.ChunkSize;

    public void Register(GrpcServiceTable table) => table
        .AddUnary(AgentMethods.GuestDetails, GuestDetailsAsync)
        .AddUnary(AgentMethods.OnlineCpuMem, OnlineCpuMemAsync)
        .AddServerStreaming(AgentMethods.StreamTestData, StreamTestDataAsync)
        .AddClientStreaming(AgentMethods.SinkTestData, SinkTestDataAsync, MaxSinkMessage);

    /// <summary>The largest SinkTestData message: a chunk as large as StreamStdin's, plus its framing.</summary>
    private const int MaxSinkMessage = StdinStreamHandler.MaxMessageSize;

    private static async Task<SinkTestDataResponse> SinkTestDataAsync(IServerStreamReader<TestDataChunk> reader, ServerCallContext context)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        ulong bytes = 0;
        while (await reader.ReadAsync(context.CancellationToken) is { } chunk)
        {
            hash.AppendData(chunk.Data.Span);
            bytes += (ulong)chunk.Data.Length;
        }
        return new SinkTestDataResponse { Bytes = bytes, Sha256 = Google.Protobuf.ByteString.CopyFrom(hash.GetHashAndReset()) };
    }

    private static async Task StreamTestDataAsync(StreamTestDataRequest request, IServerStreamWriter<OutputChunk> writer, ServerCallContext context)
    {
        if (request.Bytes > MaxTestBytes)
            throw new ArgumentException($"bytes: {request.Bytes} is more than {MaxTestBytes}");
        var pattern = request.Pattern.Length == 0 ? "sandboxrt\n"u8.ToArray() : request.Pattern.ToByteArray();
        if (pattern.Length > 4096)
            throw new ArgumentException($"pattern: {pattern.Length} bytes (at most 4096)");
        // one chunk-sized buffer of the pattern, plus a pattern's worth so any phase can be sliced from it
        var tile = new byte[TestChunk + pattern.Length];
        for (int i = 0; i < tile.Length; i++)
            tile[i] = pattern[i % pattern.Length];
        ulong sent = 0;
        while (sent < request.Bytes)
        {
            int n = (int)Math.Min((ulong)TestChunk, request.Bytes - sent);
            int phase = (int)(sent % (ulong)pattern.Length);
            // a fresh array per chunk: the writer may still hold the previous one
            await writer.WriteAsync(new OutputChunk { Data = Google.Protobuf.ByteString.CopyFrom(tile, phase, n) }, context.CancellationToken);
            sent += (ulong)n;
        }
    }

    private Task<GuestDetailsResponse> GuestDetailsAsync(GuestDetailsRequest request, ServerCallContext context)
    {
        var memory = ReadMeminfo();
        var response = new GuestDetailsResponse
        {
            KernelRelease = ReadTrimmed("/proc/sys/kernel/osrelease"),
            Cpus = (uint)Environment.ProcessorCount,
            MemoryTotalBytes = memory.GetValueOrDefault("MemTotal"),
            MemoryAvailableBytes = memory.GetValueOrDefault("MemAvailable"),
            Transport = facts.Transport,
            AgentVersion = AgentVersion.Value,
            BootId = ReadTrimmed("/proc/sys/kernel/random/boot_id"),
            Timeline = new BootTimeline
            {
                AgentStartMs = (ulong)facts.AgentStart.TotalMilliseconds,
                SystemReadyMs = (ulong)facts.SystemReady.TotalMilliseconds,
                ServingMs = (ulong)facts.Serving.TotalMilliseconds,
            },
            AgentRssBytes = (ulong)Environment.WorkingSet,
            UptimeMs = (ulong)BootClock.Now.TotalMilliseconds,
        };
        response.LoadedModules.AddRange(facts.LoadedModules);
        return Task.FromResult(response);
    }

    private static async Task<OnlineCpuMemResponse> OnlineCpuMemAsync(OnlineCpuMemRequest request, ServerCallContext context)
    {
        if (request.Cpus > 4096)
            throw new ArgumentException($"cpus: {request.Cpus} is more than 4096");
        if (request.MemoryMib > 1UL << 30)
            throw new ArgumentException($"memory_mib: {request.MemoryMib} is more than 1 PiB");
        var (cpus, memoryMib) = await Resources.HotplugOnliner.OnlineAsync((int)request.Cpus, (long)request.MemoryMib, context.CancellationToken);
        return new OnlineCpuMemResponse { Cpus = (uint)cpus, MemoryMib = (ulong)memoryMib };
    }

    private static string ReadTrimmed(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";

    /// <summary>/proc/meminfo values in bytes, keyed by field name.</summary>
    private static Dictionary<string, ulong> ReadMeminfo()
    {
        var values = new Dictionary<string, ulong>();
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
                continue;
            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && ulong.TryParse(parts[0], out var value))
                values[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
        }
        return values;
    }
}
