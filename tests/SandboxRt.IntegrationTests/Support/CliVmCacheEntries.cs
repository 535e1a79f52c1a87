using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SandboxRt.Runtime.VmCache;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>The CLI's VM cache entries under a --root, as their records (state.json) and claim sockets show them.</summary>
internal static class CliVmCacheEntries
{
    private static readonly TimeSpan WarmBound = TimeSpan.FromMinutes(3);

    /// <summary>The state directories of the entries under <paramref name="root"/>.</summary>
    public static HashSet<string> In(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Where(d => CliVmCache.IsEntryId(Path.GetFileName(d))).ToHashSet()
            : [];

    /// <summary>Waits (bounded) until the entry listens for claims: its record says "created" then.</summary>
    public static Task WaitReadyAsync(string entry) =>
        Condition.WaitAsync(() => Status(entry) == "created", $"VM cache entry {entry} ready (state.json status created)", WarmBound);

    public static string? Status(string entry) => Field(entry, "status")?.ToString().ToLowerInvariant();

    public static string? ClaimedBy(string entry) => Field(entry, "claimed_by")?.ToString();

    public static int RecordedPid(string entry, string field) => Field(entry, field)?["pid"]?.GetValue<int>() ?? 0;

    /// <summary>Sends <paramref name="json"/> as a claim and returns the entry's answer.</summary>
    public static string Claim(string entry, string json)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
        socket.Connect(new UnixDomainSocketEndPoint(CliVmCache.ClaimSocket(entry)));
        socket.Send(Encoding.UTF8.GetBytes(json));
        socket.Shutdown(SocketShutdown.Send);
        var buffer = new byte[4096];
        int length = 0, n;
        while ((n = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None)) > 0)
            length += n;
        return length == 0 ? "(closed)" : Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>Every entry under <paramref name="root"/> but <paramref name="except"/> ends on SIGTERM, with its VM, and removes its directory.</summary>
    public static async Task StopAsync(string root, IReadOnlySet<string> except)
    {
        var entries = In(root).Except(except).ToList();
        var pids = entries.Select(e => (Entry: e, Relay: RecordedPid(e, "relay"), Hypervisor: RecordedPid(e, "hypervisor"))).ToList();
        foreach (var (_, relay, _) in pids)
            if (relay > 0)
                SandboxRt.Interop.ChildProcesses.Signal(relay, 15);
        await Condition.WaitAsync(() => entries.All(e => !Directory.Exists(e)), $"the VM cache entries under {root} ended on SIGTERM and removed their directories", WarmBound);
        foreach (var (entry, _, hypervisor) in pids)
        {
            Assert.False(hypervisor > 0 && ProcessProbe.IsRunning(hypervisor) && File.ReadAllText($"/proc/{hypervisor}/cmdline").Contains("qemu"), $"entry {entry}'s QEMU (pid {hypervisor}) outlived it");
            AssertNoWaitingCgroup(entry);
        }
    }

    /// <summary>
    /// The cgroup an entry waits in (/sandboxrt-vm-cache/ID, in every hierarchy) is gone: a claim moved
    /// the entry out of it, or the entry's end removed it. Its parent stays by design.
    /// </summary>
    public static void AssertNoWaitingCgroup(string entry)
    {
        var waiting = SandboxRt.Runtime.Sandboxes.WarmSandbox.CgroupParent + "/" + Path.GetFileName(entry); // WaitingCgroup would make the parent
        var hierarchies = Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup");
        Assert.DoesNotContain(hierarchies, h => Directory.Exists(h + waiting));
    }

    private static JsonNode? Field(string entry, string name)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(Path.Combine(entry, "state.json")))?[name];
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null; // not written yet, or gone
        }
    }
}
