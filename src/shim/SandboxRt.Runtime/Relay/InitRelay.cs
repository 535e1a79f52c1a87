// The relay of a container created through the runc CLI (`sandboxrt create`).
//
// runc leaves the container's init process behind as the thing callers watch: containerd's runc shim,
// conmon and Docker wait on the pid in --pid-file and take its exit status as the container's. Our
// container's init lives in a VM, so this host process stands in for it:
//   - it runs the host hooks (prestart, createRuntime), then boots the sandbox VM and creates the
//     container. The hooks run first, as in Kata 1.x: Docker configures the container's network in its
//     prestart hook (libnetwork-setkey moves a veth into /proc/<our pid>/ns/net, the namespace
//     RelayLauncher made for us), and the VM can only mirror interfaces that exist when it boots;
//   - a container that asked for a new network namespace gets this relay's, mirrored into the VM
//     (PodNetwork); one that names a namespace path gets that one;
//   - it holds the one connection to the agent and serves it to later CLI calls on proxy.sock;
//   - it copies the container's stdio between the descriptors it inherited (fifos, pipes) or a host pty
//     sent over --console-socket, and the agent;
//   - it forwards the signals it receives to the container's init;
//   - it exits with the container's exit status, or with 137 when the VM dies under it.
// Its pid goes to --pid-file. The VM outlives it until `delete`.
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SandboxRt.Grpc.Server;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Hooks;
using SandboxRt.Runtime.Sandboxes;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

public static class InitRelay
{
    /// <summary>The status reported when the VM itself died: as if the container had been SIGKILLed.</summary>
    public const int VmDiedStatus = 137;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(InitRelayOptions options, SafeFdHandle statusPipe, ILogger log)
    {
        var store = new StateStore(options.Root);
        var record = store.Load(options.Id);
        var stateDirectory = store.Directory(options.Id);
        Sandbox? sandbox = null;
        GrpcKestrelServer? proxy = null;
        RelayStdio? stdio = null;
        try
        {
            var spec = SpecLoader.LoadBundle(options.Bundle);
            // Recorded before anything starts, and the VM's pids as soon as it runs: a relay killed during
            // boot leaves a VM that only the record can lead create's clean-up or delete to.
            record.Relay = ProcessIdentity.Of(Environment.ProcessId);
            store.Save(record);

            // prestart hooks run before the VM boots (Docker's libnetwork-setkey configures the namespace the
            // VM then mirrors); createRuntime hooks once the runtime environment, the VM, exists, as runc
            // runs them after making the container's namespaces.
            await HookRunner.RunAsync("prestart", spec.Hooks?.Prestart, OciStates.Of(record, ContainerStatus.Creating));
            // By path, not /proc/self: network.json must name this namespace after the relay is gone (the
            // record's identity keeps a recycled pid from ever pointing Undo at another namespace).
            var netns = options.OwnNetwork ? $"/proc/{Environment.ProcessId}/ns/net" : BundleSpecRewriter.NetworkNamespacePath(spec);
            var size = VmSize.For(spec, options.Config);
            sandbox = await Sandbox.StartAsync(new SandboxStartOptions(options.Id, options.Root, options.Config)
            {
                Launched = vm =>
                {
                    record.Hypervisor = ProcessIdentity.Of(vm.Pid);
                    record.Virtiofsd = vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
                    store.Save(record);
                },
                Vcpus = size.Vcpus,
                MemoryMib = size.MemoryMib,
                WithSharedDirectory = true,
                StateDirectoryExists = true,
                NetworkNamespace = netns,
                NetworkNamespaceIsOwn = options.OwnNetwork,
                CgroupsPath = HostCgroups.CgroupsPath.Resolve(spec.Linux?.CgroupsPath),
            }, log);
            record.Hypervisor = ProcessIdentity.Of(sandbox.Vm.Pid);
            record.Virtiofsd = sandbox.Vm.HelperPids.Select(ProcessIdentity.Of).FirstOrDefault();
            store.Save(record);
            if (sandbox.Network is { } network)
                log.LogDebug("create {Id}: network namespace {Path} mirrored: {Interfaces}", options.Id, network.NamespacePath,
                    network.Interfaces.Count == 0 ? "no interface but loopback" : string.Join(", ", network.Interfaces.Select(i => i.Name)));

            await HookRunner.RunAsync("createRuntime", spec.Hooks?.CreateRuntime, OciStates.Of(record, ContainerStatus.Creating));
            var guestSpec = BundleSpecRewriter.ForGuest(spec, options.Bundle, options.Id, sandbox.Shared!, networkMirrored: options.OwnNetwork);
            // A VM that died after boot fails create at once, not after the agent client's 60 s of reconnecting.
            var vmGone = new CancellationTokenSource();
            _ = sandbox.Vm.Exited.ContinueWith(_ => vmGone.Cancel(), TaskScheduler.Default);
            try
            {
                record.GuestPid = await sandbox.Agent.CreateContainerAsync(options.Id, guestSpec, stdin: true, vmGone.Token);
            }
            catch (OperationCanceledException) when (sandbox.Vm.Exited.IsCompleted)
            {
                throw new Hypervisors.HypervisorException($"the VM stopped during create: {await sandbox.Vm.Exited}");
            }

            stdio = RelayStdio.Attach(sandbox.Agent, options.Id, "", options.ConsoleSocket, log);
            proxy = await GrpcKestrelServer.StartAsync(new UnixDomainSocketEndPoint(AgentEndpoints.ProxySocket(stateDirectory)), sandbox.Agent.CreateProxy(),
                loggerFactory: new LoggerFactoryAdapter(log));
            // One call through the proxy before anyone else makes one: the first connection is where a
            // freshly started process does its slowest work, and no CLI call should pay for it.
            using (var warm = new AgentClient(new Channels.UnixSocketConnector(AgentEndpoints.ProxySocket(stateDirectory))))
                await warm.CheckAsync();
            record.Status = ContainerStatus.Created;
            store.Save(record);
        }
        catch (Exception e)
        {
            log.LogError("create {Id}: {Error}", options.Id, e.Message);
            if (sandbox is not null && e is not Hypervisors.BootFailedException)
                log.LogError("create {Id}: guest console, last lines:\n{Console}", options.Id, string.Join('\n', Diagnostics.LogTail.Read(sandbox.Vm.ConsoleLogPath, 25)));
            // Clean up before reporting: when create returns, nothing of the failed container is left.
            if (stdio is not null)
                await stdio.DisposeAsync();
            if (proxy is not null)
                await proxy.DisposeAsync();
            if (sandbox is not null)
                await sandbox.StopAsync();
            RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = false, Error = e.Message });
            return 1;
        }

        // forwarding is in place before create returns: a kill right after create must reach the container
        using var signals = new SignalForwarder(sandbox.Agent, options.Id, e => log.LogDebug("signal forwarding: {Error}", e.Message));
        RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = true, Pid = Environment.ProcessId });
        int status;
        bool oom = false;
        var exit = sandbox.Agent.WaitAsync(options.Id, "");
        var first = await Task.WhenAny(exit, sandbox.Vm.Exited);
        if (first == exit && exit.IsCompletedSuccessfully)
        {
            status = exit.Result.Status;
            oom = exit.Result.OomKilled;
            await stdio.DrainAsync(DrainTimeout);
        }
        else
        {
            var why = sandbox.Vm.Exited.IsCompleted ? await sandbox.Vm.Exited : exit.Exception?.InnerException?.Message ?? "the agent stopped answering";
            log.LogError("container {Id}: the VM went away under it: {Why}", options.Id, why);
            status = VmDiedStatus;
        }
        if (oom)
            log.LogWarning("container {Id} was killed by the out-of-memory killer", options.Id);
        await stdio.DisposeAsync();
        await proxy.DisposeAsync();
        using (store.Lock(options.Id))
        {
            if (store.Exists(options.Id))
            {
                var latest = store.Load(options.Id);
                latest.Status = ContainerStatus.Stopped;
                latest.ExitStatus = status;
                latest.OomKilled = oom;
                store.Save(latest);
            }
        }
        sandbox.Agent.Dispose();
        return status;
    }
}
