using System.Text.Json.Nodes;

namespace SandboxRt.Bench;

/// <summary>
/// What a VM that has already built a container gives: `create` + `start` of /bin/true as a second
/// container of a running sandbox (its spec names the running container's network namespace, so it joins
/// that VM: Network/NetworkJoin.cs) against the same in a new sandbox (a clone of the template), alternating.
/// Under TCG the difference is mostly first-time translation in a fresh QEMU (docs/benchmarks.md, "Where a
/// warm start's time goes"): the floor a VM cache of such VMs could reach. Not timed: the deletes.
/// </summary>
internal sealed class SecondContainerBenchmark(RuntimeCli sandboxrt, string bundle)
{
    public Sample Joined { get; } = new("create + start /bin/true, a 2nd container in a running sandbox's VM");
    public Sample Fresh { get; } = new("create + start /bin/true, a new sandbox (a clone of the template)");

    /// <param name="relayPid">The running container's relay: its network namespace is the sandbox's.</param>
    public async Task RunAsync(int runs, int relayPid)
    {
        var joinedBundle = Path.Combine(Path.GetTempPath(), $"bench-join-{Environment.ProcessId}");
        Directory.CreateDirectory(joinedBundle);
        try
        {
            var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!;
            spec["root"]!["path"] = Path.GetFullPath(Path.Combine(bundle, spec["root"]!["path"]!.GetValue<string>()));
            foreach (var ns in spec["linux"]!["namespaces"]!.AsArray())
                if (ns!["type"]!.GetValue<string>() == "network")
                    ns["path"] = $"/proc/{relayPid}/ns/net";
            File.WriteAllText(Path.Combine(joinedBundle, "config.json"), spec.ToJsonString());
            for (int i = 0; i < runs; i++)
            {
                foreach (var (sample, from) in i % 2 == 0 ? new[] { (Joined, joinedBundle), (Fresh, bundle) } : [(Fresh, bundle), (Joined, joinedBundle)])
                    await TimeAsync(sample, from, $"bench-second-{Environment.ProcessId}-{i}-{(sample == Joined ? "j" : "f")}");
                Console.Error.WriteLine($"  run {i + 1}/{runs}: 2nd container in a running VM {Joined.LastText} ms, new sandbox {Fresh.LastText} ms");
            }
        }
        finally
        {
            Directory.Delete(joinedBundle, recursive: true);
        }
    }

    /// <summary>create + start, stdio inherited (the relay keeps it open); either failing is a failure, not a time.</summary>
    private async Task TimeAsync(Sample sample, string from, string id)
    {
        var create = await Shell.RunAsync(sandboxrt.Command[0], [.. sandboxrt.Command.Skip(1), "create", "--bundle", from, id], capture: false);
        var start = create.Exit == 0 ? await Shell.RunAsync(sandboxrt.Command[0], [.. sandboxrt.Command.Skip(1), "start", id], capture: false) : create;
        if (create.Exit == 0 && start.Exit == 0)
            sample.Add(create.Ms + start.Ms);
        else
            sample.Fail();
        await sandboxrt.DeleteAsync(id);
    }
}
