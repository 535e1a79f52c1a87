// `docker network connect` and `disconnect` on a running container, mirrored into its VM.
//
// Docker changes a running container's network namespace without calling the runtime: `network
// connect` moves a veth in, names it, gives it its MAC and addresses and brings it up; `disconnect`
// deletes it. The VM mirrored what the namespace held at create (PodNetwork), so the relay, which lives
// as long as the container, follows the namespace from then on: a netlink socket opened in it listens
// for link, address and route changes, and after each batch of them the sandbox mirrors what changed
// (Sandbox.FollowNetworkAsync): a NIC hot-plugged per new interface and configured by the agent, a NIC
// unplugged per interface gone. The same serves podman's `network connect` and a namespace the spec
// names (its owner's changes).
//
// Only a VM that takes NICs after its start (a q35 clone of a VM template, the default) can get a new
// interface; for any other, and for anything that fails, the relay's log (runc's --log, Docker's
// log.json) names the interfaces the container does not have and says why. The socket is opened before
// the first look, so that a change during create or right after it is not missed. Before a change is
// mirrored, the relay's callback runs (InitRelay: Docker's embedded DNS, which a network connect to a
// user-defined network brings, is forwarded from then on), so that it is in place by the time the
// guest has the new interface. One thread, started
// once the container exists, blocked in poll between changes; it ends with the relay, or when the
// namespace's path no longer names it (a VM cache entry follows for the container that claimed it, and
// outlives the container's relay, whose /proc/PID/ns/net the path is).
using Microsoft.Extensions.Logging;
using SandboxRt.Interop.Netlink;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.Relay;

public sealed class NetworkFollower : IDisposable
{
    private readonly Sandbox _sandbox;
    private readonly RouteNetlink _watch;
    private readonly string _id;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<Task>? _beforeChange;

    /// <summary>How long one wait for a change may block before the thread looks whether it should stop.</summary>
    private static readonly TimeSpan StopCheck = TimeSpan.FromSeconds(30);

    private NetworkFollower(Sandbox sandbox, RouteNetlink watch, string id, ILogger log, Func<Task>? beforeChange)
    {
        _sandbox = sandbox;
        _watch = watch;
        _id = id;
        _log = log;
        _beforeChange = beforeChange;
    }

    /// <summary>Follows the namespace the sandbox's VM mirrors, for container <paramref name="id"/>; null when it mirrors none, or is not this process's (the VM of another container, or of a VM cache entry, which follows for the container that claimed it).</summary>
    /// <param name="beforeChange">Runs on the follower's thread before a change after the first look is mirrored; its failure is logged.</param>
    public static NetworkFollower? Start(IHostSandbox sandbox, string id, ILogger log, Func<Task>? beforeChange = null)
    {
        if (sandbox is not Sandbox { Network: { } network } owned)
            return null;
        var watch = NetworkNamespace.RunIn(network.NamespacePath, RouteNetlink.OpenNetworkWatch);
        var follower = new NetworkFollower(owned, watch, id, log, beforeChange);
        new Thread(follower.Run) { IsBackground = true, Name = "network-follower" }.Start();
        return follower;
    }

    private void Run()
    {
        try
        {
            bool changed = false;
            do
            {
                if (_stop.IsCancellationRequested)
                    return;
                if (_sandbox.Network!.NamespaceGone)
                {
                    _log.LogDebug("container {Id}: its network namespace's owner has gone: no longer following it", _id);
                    return;
                }
                if (changed)
                    BeforeChange();
                FollowOnce();
                changed = true;
            }
            while (WaitForChange());
        }
        finally
        {
            _watch.Dispose();
        }
    }

    /// <summary>Blocks until a change came (true) or the follower was stopped (false).</summary>
    private bool WaitForChange()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (_watch.WaitForLinkChange(StopCheck))
                    return true;
            }
            catch (Interop.SyscallException e)
            {
                _log.LogError("container {Id}: no longer following its network namespace: {Error}", _id, e.Message);
                return false;
            }
        }
        return false;
    }

    private void BeforeChange()
    {
        if (_beforeChange is null)
            return;
        try
        {
            _beforeChange().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _log.LogWarning("container {Id}: before following its network namespace's change: {Error}", _id, e.Message);
        }
    }

    private void FollowOnce()
    {
        try
        {
            var done = _sandbox.FollowNetworkAsync(_stop.Token).GetAwaiter().GetResult();
            if (done.Count > 0)
                _log.LogInformation("container {Id}: its network namespace changed: {Done}", _id, string.Join("; ", done));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _log.LogError("container {Id}: its network namespace changed, and the VM does not have the change: {Error}", _id, e.Message);
        }
    }

    /// <summary>Stops following (a change being mirrored ends first, or fails once the agent has gone).</summary>
    public void Dispose() => _stop.Cancel();
}
