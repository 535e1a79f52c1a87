namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A <see cref="DockerDaemon"/> with Docker's default bridge: dockerd and its containerd run in a network
/// namespace the fixture makes (srt-dk-XXXXXXXX), so docker0, the iptables rules and docker-proxy exist
/// only there, and go with it.
/// </summary>
public class BridgedDockerDaemon() : DockerDaemon("srt-dk-" + Guid.NewGuid().ToString("N")[..8])
{
    /// <summary>Runs a command in the daemon's network namespace (where published ports listen).</summary>
    public Task<Command> InNamespaceAsync(params string[] command) =>
        Command.RunAsync("nsenter", ["--net=" + NetworkNamespacePath, .. command], timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// Fetches http://TARGET/ from the daemon's namespace until a server answers (a container started with
    /// `docker run -d` may still be starting), or the deadline; returns the last fetch, which says how it failed.
    /// </summary>
    public async Task<Command> FetchAsync(string target, TimeSpan within)
    {
        Command? fetch = null;
        // not wget -T: it segfaults in Debian's busybox-static
        async Task<bool> Answered() =>
            (fetch = await InNamespaceAsync(TestInitramfs.Busybox, "timeout", "5", TestInitramfs.Busybox, "wget", "-q", "-O", "-", $"http://{target}/")).ExitCode == 0;
        try
        {
            await Condition.WaitAsync(Answered, $"the server in the VM to answer on {target}", within);
        }
        catch (Xunit.Sdk.FailException)
        {
            // the caller asserts on the last fetch
        }
        return fetch!;
    }
}
