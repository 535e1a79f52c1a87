using Microsoft.Extensions.Logging;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Relay;

/// <summary>
/// The relay of a process added with `sandboxrt exec --detach`: like the init relay, its pid stands for
/// the process (--pid-file), it copies its stdio, and it exits with its status. It reaches the agent
/// through the init relay's proxy.
/// </summary>
public static class ExecRelay
{
    public static async Task<int> RunAsync(ExecRelayOptions options, SafeFdHandle statusPipe, ILogger log)
    {
        var store = new StateStore(options.Root);
        AgentClient? agent = null;
        RelayStdio? stdio = null;
        try
        {
            var record = store.Load(options.Id);
            var process = SpecLoader.LoadProcess(options.ProcessFile);
            agent = new AgentClient(AgentEndpoints.For(record, store.Directory(options.Id)));
            await agent.ExecAsync(options.Id, options.ExecId, process, stdin: true);
            stdio = RelayStdio.Attach(agent, options.Id, options.ExecId, options.ConsoleSocket, log);
            record.Execs[options.ExecId] = ProcessIdentity.Of(Environment.ProcessId)!;
            store.Save(record);
        }
        catch (Exception e)
        {
            int? code = Core.ExecFailure.StatusOf(e);
            if (stdio is not null)
                await stdio.DisposeAsync();
            agent?.Dispose();
            RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = false, Error = e.Message, ExitCode = code });
            return code ?? 1;
        }

        RelayStatusPipe.Report(statusPipe, new RelayReport { Ok = true, Pid = Environment.ProcessId });
        int status;
        try
        {
            status = (await agent.WaitAsync(options.Id, options.ExecId)).Status;
            await stdio.DrainAsync(TimeSpan.FromSeconds(5));
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
