using SandboxRt.Interop;
using SandboxRt.Interop.Netlink;
using SandboxRt.Runtime.Processes;

namespace SandboxRt.Runtime.Network.PortForwarding;

/// <summary>
/// The netfilter rule that sends every TCP connection made to 127.0.0.1 inside a pod's network namespace
/// on the host to one listener there (REDIRECT in the nat table's OUTPUT chain; the listener reads the port
/// that was asked for with SO_ORIGINAL_DST). Written with the host's iptables (iptables-nft or legacy, as
/// Kubernetes nodes have), spawned from a thread that joined the namespace, so that it acts there only.
/// </summary>
internal static class LoopbackRedirect
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Adds the rule: connections to 127.0.0.1, on any port but <paramref name="listenerPort"/>, go to that port.</summary>
    public static Task AddAsync(string namespacePath, int listenerPort) => RunAsync(namespacePath, "-A", listenerPort);

    /// <summary>Removes the rule again (the namespace may outlive the pod's VM).</summary>
    public static Task RemoveAsync(string namespacePath, int listenerPort) => RunAsync(namespacePath, "-D", listenerPort);

    /// <summary>The iptables binary: on PATH, or in /usr/sbin or /sbin (a shim's PATH may lack them); null when there is none.</summary>
    public static string? FindIptables() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"])
            .Select(d => Path.Combine(d, "iptables")).FirstOrDefault(File.Exists);

    private static async Task RunAsync(string namespacePath, string verb, int listenerPort)
    {
        var iptables = FindIptables() ?? throw new PortForwardingException("iptables was not found (on PATH, /usr/sbin or /sbin)");
        string[] arguments = [iptables, "-w", "5", "-t", "nat", verb, "OUTPUT", "-o", "lo", "-d", "127.0.0.1/32", "-p", "tcp",
            "!", "--dport", listenerPort.ToString(), "-j", "REDIRECT", "--to-ports", listenerPort.ToString()];
        var (errRead, errWrite) = Pipes.Create();
        ChildProcess process;
        using (errWrite)
        using (var devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.ReadWrite))
        {
            try
            {
                process = NetworkNamespace.RunIn(namespacePath, () => ChildProcess.Start(new SpawnOptions
                {
                    Path = iptables,
                    Arguments = arguments,
                    Environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                    Descriptors = [(devNull, 0), (devNull, 1), (errWrite, 2)],
                }, "iptables"));
            }
            catch
            {
                errRead.Dispose();
                throw;
            }
        }
        var stderr = Task.Run(() => FileDescriptors.ReadAllText(errRead, 16 * 1024, "iptables stderr"));
        if (!await process.WaitAsync(Timeout))
        {
            process.Signal(9);
            await process.Exited;
            throw new PortForwardingException($"`{string.Join(' ', arguments)}` in {namespacePath} did not finish in {Timeout.TotalSeconds} s");
        }
        var status = await process.Exited;
        var error = (await stderr).Trim();
        if (!status.Exited || status.ExitCode != 0)
            throw new PortForwardingException($"`{string.Join(' ', arguments)}` in {namespacePath} failed ({status}): {error}");
    }
}
