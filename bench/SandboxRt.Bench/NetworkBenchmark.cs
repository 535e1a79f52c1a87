using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SandboxRt.Interop.Netlink;

namespace SandboxRt.Bench;

/// <summary>
/// TCP between a peer network namespace and a container attached to a "pod" namespace (a veth pair, both
/// namespaces the benchmark's own), for runc (the container's processes are in the pod namespace) and
/// sandboxrt (the VM mirrors the pod namespace through a tap and tc redirects). The container serves an
/// echo port (busybox nc -e cat) and a sink port that answers with the byte count it got (nc -e wc -c).
/// The client runs in this process on a thread inside the peer namespace. Round trip: the median of
/// 200 one-byte echoes on one connection. Throughput: N MiB sent, then the sink's count must equal N MiB,
/// or the run is a failure. Runs alternate between the runtimes.
/// </summary>
internal sealed class NetworkBenchmark(RuntimeCli sandboxrt, string bundle, int mebibytes)
{
    private const int EchoPort = 5002, SinkPort = 5001, RoundTrips = 200;
    private readonly string _pod = $"srt-bench-pod-{Environment.ProcessId}";
    private readonly string _peer = $"srt-bench-peer-{Environment.ProcessId}";
    private const string PodAddress = "10.79.0.2", PeerAddress = "10.79.0.1";

    public Sample RuncRoundTrip { get; } = new("TCP round trip peer <-> container, runc (median of 200)");
    public Sample SandboxrtRoundTrip { get; } = new("TCP round trip peer <-> container, sandboxrt (median of 200)");
    public Sample RuncThroughput { get; } = new($"TCP throughput peer -> container, runc ({mebibytes} MiB)");
    public Sample SandboxrtThroughput { get; } = new($"TCP throughput peer -> container, sandboxrt ({mebibytes} MiB)");

    public async Task RunAsync(int runs)
    {
        await SetUpAsync();
        try
        {
            for (int i = 0; i < runs; i++)
            {
                bool runcFirst = i % 2 == 0;
                foreach (var runc in runcFirst ? new[] { true, false } : [false, true])
                    await MeasureAsync(runc, i);
                Console.Error.WriteLine($"  run {i + 1}/{runs}: round trip runc {RuncRoundTrip.LastText} us, sandboxrt {SandboxrtRoundTrip.LastText} us; " +
                                        $"throughput runc {RuncThroughput.LastText} MiB/s, sandboxrt {SandboxrtThroughput.LastText} MiB/s");
            }
        }
        finally
        {
            await Shell.RunAsync("ip", "netns", "delete", _pod);
            await Shell.RunAsync("ip", "netns", "delete", _peer);
        }
    }

    private async Task SetUpAsync()
    {
        foreach (var command in new[]
        {
            $"netns add {_pod}", $"netns add {_peer}",
            $"-n {_pod} link add eth0 type veth peer name peer0 netns {_peer}",
            $"-n {_pod} link set lo up", $"-n {_peer} link set lo up",
            $"-n {_pod} addr add {PodAddress}/24 dev eth0", $"-n {_peer} addr add {PeerAddress}/24 dev peer0",
            $"-n {_pod} link set eth0 up", $"-n {_peer} link set peer0 up",
        })
        {
            var result = await Shell.RunAsync("ip", command.Split(' '));
            if (result.Exit != 0)
                throw new InvalidOperationException($"ip {command}: {result.Output.Trim()}");
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
        var namespaces = config["linux"]!["namespaces"]!.AsArray();
        foreach (var ns in namespaces.Where(n => (string?)n!["type"] == "network").ToList())
            namespaces.Remove(ns);
        namespaces.Add(new JsonObject { ["type"] = "network", ["path"] = $"/var/run/netns/{_pod}" });
        File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
    }

    private async Task MeasureAsync(bool runc, int run)
    {
        var id = $"bench-net-{(runc ? "runc" : "srt")}-{Environment.ProcessId}-{run}";
        var cli = runc ? RuntimeCli.Runc() : sandboxrt;
        var roundTrip = runc ? RuncRoundTrip : SandboxrtRoundTrip;
        var throughput = runc ? RuncThroughput : SandboxrtThroughput;
        try
        {
            await cli.StartAsync(bundle, id);
            var (rtt, bytesPerSecond) = NetworkNamespace.RunIn($"/var/run/netns/{_peer}", () => (MeasureRoundTrip(), MeasureThroughput()));
            roundTrip.Add(rtt);
            throughput.Add(bytesPerSecond / (1024.0 * 1024.0));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or SocketException or TimeoutException)
        {
            Console.Error.WriteLine($"  {id}: failed: {e.Message}");
            if (roundTrip.Values.Count + roundTrip.Failures <= run)
                roundTrip.Fail();
            if (throughput.Values.Count + throughput.Failures <= run)
                throughput.Fail();
        }
        finally
        {
            await cli.DeleteAsync(id);
        }
    }

    /// <summary>Microseconds: the median of one-byte echoes on one connection (after a few to warm up).</summary>
    private static double MeasureRoundTrip()
    {
        using var socket = Connect(EchoPort);
        socket.NoDelay = true;
        var one = new byte[1];
        var times = new List<double>();
        for (int i = 0; i < RoundTrips + 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            socket.Send(one);
            if (socket.Receive(one) != 1)
                throw new IOException("the echo server closed the connection");
            if (i >= 10)
                times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Bytes per second to the sink, checked against the count the sink reports.</summary>
    private double MeasureThroughput()
    {
        using var socket = Connect(SinkPort);
        var block = new byte[256 * 1024];
        Random.Shared.NextBytes(block);
        long total = (long)mebibytes * 1024 * 1024;
        var watch = Stopwatch.StartNew();
        for (long sent = 0; sent < total; sent += block.Length)
            socket.Send(block);
        socket.Shutdown(SocketShutdown.Send);
        var answer = new List<byte>();
        var buffer = new byte[64];
        int n;
        while ((n = socket.Receive(buffer)) > 0 && answer.Count < 64)
            answer.AddRange(buffer.AsSpan(0, n).ToArray());
        var seconds = watch.Elapsed.TotalSeconds;
        var counted = System.Text.Encoding.ASCII.GetString(answer.ToArray()).Trim();
        if (counted != total.ToString())
            throw new IOException($"sent {total} bytes, the container's sink counted '{counted}'");
        return total / seconds;
    }

    /// <summary>Connects from the peer namespace (the calling thread's), retrying while the container's server starts.</summary>
    private static Socket Connect(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 60_000, SendTimeout = 60_000 };
            try
            {
                socket.Connect(new IPEndPoint(IPAddress.Parse(PodAddress), port));
                return socket;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(200);
            }
        }
    }

}
