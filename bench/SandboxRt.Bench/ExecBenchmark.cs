namespace SandboxRt.Bench;

/// <summary>
/// `exec /bin/true` into a running container: sandboxrt (a new relay process asks the running sandbox's
/// agent, through the container's relay, to start the process in the guest) against runc (setns into
/// the container's namespaces on the host). Same bundle, alternating calls; an exec that does not exit 0
/// is a failure, not a time.
/// </summary>
internal sealed class ExecBenchmark(RuntimeCli sandboxrt, string bundle)
{
    public Sample Sandboxrt { get; } = new("exec /bin/true into a running container, sandboxrt");
    public Sample Runc { get; } = new("exec /bin/true into a running container, runc");

    public async Task RunAsync(int runs)
    {
        var runc = RuntimeCli.Runc();
        var ids = new Dictionary<RuntimeCli, string>
        {
            [sandboxrt] = $"bench-exec-srt-{Environment.ProcessId}",
            [runc] = $"bench-exec-runc-{Environment.ProcessId}",
        };
        try
        {
            foreach (var (cli, id) in ids)
                await cli.StartAsync(bundle, id);
            for (int i = 0; i < runs; i++)
            {
                foreach (var cli in i % 2 == 0 ? new[] { sandboxrt, runc } : [runc, sandboxrt])
                    await cli.TimeAsync(cli == runc ? Runc : Sandboxrt, "exec", ids[cli], "/bin/true");
                Console.Error.WriteLine($"  run {i + 1}/{runs}: sandboxrt {Sandboxrt.LastText} ms, runc {Runc.LastText} ms");
            }
        }
        finally
        {
            foreach (var (cli, id) in ids)
                await cli.DeleteAsync(id);
        }
    }
}
