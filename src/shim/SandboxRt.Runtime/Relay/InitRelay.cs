// The relay of a container created through the runc CLI (`sandboxrt create`).
//
// runc leaves the container's init process behind as the thing callers watch: containerd's runc shim,
// conmon and Docker wait on the pid in --pid-file and take its exit status as the container's. Our
// container's init lives in a VM, so this host process stands in for it:
//   - it runs the host hooks (prestart, createRuntime), boots the sandbox VM and creates the
//     container. Docker configures the container's network in its prestart hook (libnetwork-setkey
//     moves a veth into /proc/<our pid>/ns/net, the namespace RelayLauncher made for us): a VM that can
//     take NICs after its start (a q35 template clone) boots beside the hook and gets its NICs when it
//     has ended; any other boots after it, as in Kata 1.x, since it mirrors only what exists when it boots;
//   - a container that asked for a new network namespace gets this relay's, mirrored into the VM
//     (PodNetwork); one that names a namespace path gets that one; one that names the namespace of a
//     running container of the same --root (docker run --network container:X) runs in X's VM instead
//     (--join X, Sandboxes/JoinedSandbox.cs) and is stopped when X exits;
//   - it holds the one connection to the agent and serves it to later CLI calls on proxy.sock;
//   - it copies the container's stdio between the descriptors it inherited (fifos, pipes) or a host pty
//     sent over --console-socket, and the agent;
//   - it forwards the signals it receives to the container's init;
//   - it follows the container's network namespace, so that `docker network connect` and `disconnect`
//     plug and unplug the VM's NICs (NetworkFollower);
//   - it answers the guest's queries to Docker's embedded DNS server (127.0.0.11) from the container's
//     namespace, where that server is (RelayDnsForwarding);
//   - it reports the guest's OOM kills in its own host memory cgroup, the one containerd's runc shim
//     watches (HostOomReport);
//   - it exits with the container's exit status, or with 137 when the VM dies under it.
// Creating is ContainerHost's (shared with `sandboxrt run`); waiting is GuestContainer's.
// Its pid goes to --pid-file. The VM outlives it until `delete`.
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

public static class InitRelay
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(InitRelayOptions options, SafeFdHandle statusPipe, ILogger log)
    {
        var store = new StateStore(options.Root);
        var record = store.Load(options.Id);
        ContainerHost? host = null;
        RelayStdio? stdio = null;
        RelayDnsForwarding? dns = null;
        using var dnsGate = new SemaphoreSlim(1, 1); // the follower's thread may start the forwarding while the container runs
        NetworkFollower? follower = null;
        try
        {
            var spec = SpecLoader.LoadBundle(options.Bundle);
            // By path, not /proc/self: network.json must name this namespace after the relay is gone (the
            // record's identity keeps a recycled pid from ever pointing Undo at another namespace).
            if (options.JoinSandbox is { } sandboxId)
            {
                host = await ContainerHost.JoinAsync(store, record, spec, options.Config, sandboxId, log);
            }
            else
            {
                var network = new ContainerHost.NetworkChoice(
                    options.OwnNetwork ? $"/proc/{Environment.ProcessId}/ns/net" : BundleSpecRewriter.NetworkNamespacePath(spec), options.OwnNetwork);
                host = await ContainerHost.CreateAsync(store, record, spec, options.Config, network, log, startSandbox: options.StartSandbox, fromCache: options.StartSandbox is null);
            }
            stdio = RelayStdio.Attach(host.Sandbox.Agent, options.Id, "", options.ConsoleSocket, log);
            // the guest's 127.0.0.11 listens before create returns: the workload may ask at once after start
            dns = await RelayDnsForwarding.StartAsync(host.Sandbox.Agent, options.Id, spec, options.OwnNetwork, log);
            // docker network connect and disconnect from now on (the namespace as create left it is in the VM);
            // a connect to a user-defined network brings Docker's embedded DNS, forwarded from then on
            var agent = host.Sandbox.Agent;
            follower = NetworkFollower.Start(host.Sandbox, options.Id, log, beforeChange: async () =>
            {
                await dnsGate.WaitAsync();
                try
                {
                    dns ??= await RelayDnsForwarding.StartAsync(agent, options.Id, spec, options.OwnNetwork, log, networkChanged: true);
                }
                finally
                {
                    dnsGate.Release();
                }
            });
        }
        catch (Exception e)
        {
            log.LogError("create {Id}: {Error}", options.Id, e.Message);
            // Clean up before reporting: when create returns, nothing of the failed container is left.
            if (host is not null)
                await host.StopSandboxAsync();
            RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = false, Error = e.Message });
            return 1;
        }

        // forwarding is in place before create returns: a kill right after create must reach the container
        using var signals = new SignalForwarder(host.Sandbox.Agent, options.Id, e => log.LogDebug("signal forwarding: {Error}", e.Message));
        RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = true, Pid = Environment.ProcessId });
        // the guest's OOM kills, reported in the relay's host memory cgroup for containerd's runc shim
        await using var oom = new HostOomSignal(VmCache.CliVmCache.SandboxDirectory(store, host.Record), log);
        using var stopFollowing = new CancellationTokenSource();
        var following = oom.FollowAsync(host.Sandbox.Agent, options.Id, stopFollowing.Token);
        var exit = await host.Container.WaitAsync("", log, CancellationToken.None);
        if (exit.VmWentAway && host.Sandbox is Sandboxes.JoinedSandbox joined) // the container whose network it shares is gone: so is it
            await joined.KillOrphanAsync(options.Id);
        if (exit.OomKilled) // before the relay's exit, which is the container's exit to the shim
            await oom.EnsureReportedAsync();
        await stopFollowing.CancelAsync();
        await following;
        follower?.Dispose();
        await dnsGate.WaitAsync();
        if (dns is not null)
            await dns.DisposeAsync();
        if (!exit.VmWentAway) // output written just before the exit may still be in flight
            await stdio.DrainAsync(DrainTimeout);
        await stdio.DisposeAsync();
        await host.DisposeAsync();
        host.RecordExit(exit);
        return exit.Status;
    }
}
