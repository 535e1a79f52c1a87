using System.Text.Json;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// Starts a relay (`sandboxrt relay init|exec ...`) as a detached process of its own session with the
/// caller's stdin, stdout and stderr (containerd's fifos, conmon's pipes) and a status pipe on fd 3, and
/// waits for its one report. The relay outlives the CLI call that started it; the caller's subreaper
/// (containerd-shim, conmon) adopts it and sees its exit.
/// A relay for a container with a network namespace of its own is started in a fresh network namespace,
/// made on a dedicated thread as the agent does: /proc/&lt;relay&gt;/ns/net is then the container's
/// network namespace as the host sees it (what Docker's libnetwork-setkey hook and CNI configure).
/// </summary>
public static class RelayLauncher
{
    /// <param name="arguments">Global flags, then the relay verb and its flags.</param>
    /// <param name="defaultLog">Where the relay logs when the caller gave no --log: never the container's stderr.</param>
    /// <param name="inheritStdio">
    /// False with a console socket: the container's stdio is then the terminal, and a relay holding the
    /// caller's stdout open would keep a caller that reads our output to its end (go-runc) waiting forever.
    /// </param>
    /// <param name="display">What `ps` shows after "sandboxrt relay --": the container's command (Docker's top lists the relay).</param>
    public static RelayReport Start(IReadOnlyList<string> arguments, bool newNetworkNamespace, string defaultLog, bool inheritStdio = true, IReadOnlyList<string>? display = null)
    {
        if (!arguments.Contains("--log"))
            arguments = ["--log", defaultLog, .. arguments];
        var binary = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the sandboxrt binary to start the relay");
        var (statusRead, statusWrite) = Pipes.Create();
        using var devNullHandle = FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);

        int pid = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (newNetworkNamespace)
                    Namespaces.Unshare(NamespaceTypes.CloneFlag(NamespaceTypes.Network), "network namespace for the relay");
                pid = ProcessSpawner.Spawn(new SpawnOptions
                {
                    Path = binary,
                    // The real arguments travel in the environment; argv is what ps (and docker top) show.
                    Arguments = [binary, "relay", "--", .. display ?? []],
                    Environment = [.. ProcessSpawner.CurrentEnvironment(ArgumentsVariable), $"{ArgumentsVariable}={JsonSerializer.Serialize(arguments.ToList(), RelayJsonContext.Default.ListString)}"],
                    Descriptors = inheritStdio
                        ? [(StdioHandle(0), 0), (StdioHandle(1), 1), (StdioHandle(2), 2), (statusWrite, RelayStatusPipe.RelayFd)]
                        : [(devNullHandle, 0), (devNullHandle, 1), (devNullHandle, 2), (statusWrite, RelayStatusPipe.RelayFd)],
                    NewSession = true,
                });
            }
            catch (Exception e)
            {
                failure = e;
            }
        })
        { IsBackground = true, Name = "spawn-relay" };
        thread.Start();
        thread.Join();
        statusWrite.Dispose();
        using (statusRead)
        {
            if (failure is not null)
                throw failure;
            var report = RelayStatusPipe.Read(statusRead);
            if (report.Ok && report.Pid != pid)
                report.Pid = pid;
            return report;
        }
    }

    /// <summary>The environment variable that carries a relay's real arguments (a JSON array of strings).</summary>
    public const string ArgumentsVariable = "SANDBOXRT_RELAY_ARGS";

    /// <summary>The arguments a relay was started with, from <see cref="ArgumentsVariable"/>; null when not a relay.</summary>
    public static string[]? ArgumentsFromEnvironment()
    {
        var json = Environment.GetEnvironmentVariable(ArgumentsVariable);
        return json is null ? null : JsonSerializer.Deserialize(json, RelayJsonContext.Default.ListString)?.ToArray();
    }

    /// <summary>Our stdio descriptor, or /dev/null when the caller gave us none (closed fd).</summary>
    private static SafeFdHandle StdioHandle(int fd)
    {
        var borrowed = SafeFdHandle.Borrow(fd);
        return Descriptors.IsOpen(borrowed) ? borrowed : FileDescriptors.Open("/dev/null", FileDescriptors.ReadWrite);
    }
}
