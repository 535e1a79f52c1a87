using Microsoft.Extensions.Logging;

namespace SandboxRt.Runtime.Sandboxes;

/// <summary>
/// How the runc CLI's ContainerHost gets its sandbox: <see cref="Sandbox.StartAsync"/> (a VM) unless a
/// caller names another, as the unit tests do with their fake.
/// </summary>
public delegate Task<IHostSandbox> HostSandboxStarter(SandboxStartOptions options, ILogger log, CancellationToken cancellationToken);
