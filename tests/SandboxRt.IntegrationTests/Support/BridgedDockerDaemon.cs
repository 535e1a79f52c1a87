namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A <see cref="DockerDaemon"/> with Docker's default bridge: dockerd and its containerd run in a network
/// namespace the fixture makes (srt-dk-XXXXXXXX), so docker0, the iptables rules and docker-proxy exist
/// only there, and go with it.
/// </summary>
public sealed class BridgedDockerDaemon() : DockerDaemon("srt-dk-" + Guid.NewGuid().ToString("N")[..8])
{
    /// <summary>Runs a command in the daemon's network namespace (where published ports listen).</summary>
    public Task<Command> InNamespaceAsync(params string[] command) =>
        Command.RunAsync("nsenter", ["--net=" + NetworkNamespacePath, .. command], timeout: TimeSpan.FromSeconds(30));
}
