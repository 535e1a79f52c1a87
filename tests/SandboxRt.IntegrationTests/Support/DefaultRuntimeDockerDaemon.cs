namespace SandboxRt.IntegrationTests.Support;

/// <summary>
/// A <see cref="BridgedDockerDaemon"/> whose daemon.json sets `"default-runtime": "kata-runtime"`: what a
/// user who makes SandboxRt Docker's default does, after which plain `docker run` commands use it.
/// </summary>
public sealed class DefaultRuntimeDockerDaemon : BridgedDockerDaemon
{
    protected override bool IsDefaultRuntime => true;
}
