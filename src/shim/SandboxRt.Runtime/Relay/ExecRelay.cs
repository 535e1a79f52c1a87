// The relay of a process added with `sandboxrt exec --detach`.
//
// runc exec --detach leaves the exec'd process itself behind: containerd's runc shim and conmon wait on
// the pid in --pid-file, signal it (containerd's exec kill is kill(2) on that pid) and take its exit
// status. Our process lives in the guest, so this host process stands in for it, as the init relay does
// for a container's init:
//   - it asks the agent, through the init relay's proxy, to exec the process; a refusal is reported on
//     the status pipe with the container named, and a program that could not be executed with the
//     shell's status (127 not found, 126 cannot run), which `exec --detach` exits with;
//   - it copies the process's stdio between the descriptors it inherited (or a host pty sent over
//     --console-socket, whose resizes it forwards) and the agent;
//   - it forwards the signals it receives to the process;
//   - it records itself in the container's record (Execs) while it lives: ps lists it, delete ends it;
//   - it exits with the process's exit status, or with 137 when the agent went away under it.
// The CLI holds the container's lock until the report arrives, so the record is saved here without it.
using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

public static class ExecRelay
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(ExecRelayOptions options, SafeFdHandle statusPipe, ILogger log)
    {
        var store = new StateStore(options.Root);
        IAgent? agent = null;
        RelayStdio? stdio = null;
        try
        {
            var record = store.Load(options.Id);
            var process = SpecLoader.LoadProcess(options.ProcessFile);
            agent = options.Ends.ConnectAgent(record, store.Directory(options.Id));
            try
            {
                await agent.ExecAsync(options.Id, options.ExecId, process, stdin: true);
            }
            catch (AgentException e)
            {
                throw ExecFailure.InContainer(e, options.Id);
            }
            stdio = options.Ends.AttachStdio(agent, options.Id, options.ExecId, options.ConsoleSocket, log);
            record.Execs[options.ExecId] = ProcessIdentity.Of(Environment.ProcessId)!;
            store.Save(record);
        }
        catch (Exception e)
        {
            int? code = ExecFailure.StatusOf(e);
            if (stdio is not null)
                await stdio.DisposeAsync();
            agent?.Dispose();
            RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = false, Error = e.Message, ExitCode = code });
            return code ?? 1;
        }

        // in place before exec --detach returns: a kill of the pid it wrote must reach the process
        using var signals = new SignalForwarder(agent, options.Id, options.ExecId, e => log.LogDebug("signal forwarding: {Error}", e.Message));
        RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = true, Pid = Environment.ProcessId });
        int status;
        try
        {
            status = (await agent.WaitAsync(options.Id, options.ExecId)).Status;
            await stdio.DrainAsync(DrainTimeout);
        }
        catch (AgentException e)
        {
            log.LogError("exec {Id}/{Exec}: {Error}", options.Id, options.ExecId, e.Message);
            status = ProcessExit.VmDiedStatus;
        }
        await stdio.DisposeAsync();
        agent.Dispose();
        using (store.Lock(options.Id))
        {
            if (store.Exists(options.Id))
            {
                var latest = store.Load(options.Id);
                latest.Execs.Remove(options.ExecId);
                store.Save(latest);
            }
        }
        return status;
    }
}
