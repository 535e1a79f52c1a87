using Microsoft.Extensions.Logging;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Containers;
using SandboxRt.Runtime.Core.States;
using SandboxRt.Runtime.Relay;
using SandboxRt.Runtime.State;

namespace SandboxRt.Runtime.Lifecycle;

/// <summary>
/// runc exec: an extra process in a running container. With --detach a relay stands for it (its pid goes
/// to --pid-file, its exit is the process's); without, this call stays attached and exits with its status.
/// </summary>
public static class ExecOperation
{
    public static async Task<int> RunAsync(LifecycleContext context, ExecRequest request, RunIo io)
    {
        var id = request.Id;
        var record = context.Refresh(id);
        ProcessState.Of(record.Status).Exec($"container {id}");
        var spec = SpecLoader.LoadBundle(record.Bundle);
        var process = request.BuildProcess(spec);
        if (process.Args is not { Count: > 0 })
            throw new ArgumentException("process.args: must name the program to run");
        Containers.InheritedRlimits.FillMissingForExec(process, spec.Process);
        var execId = "exec-" + Guid.NewGuid().ToString("N")[..12];
        if (request.Detach)
            return Detached(context, request, process, execId);

        using var agent = new AgentClient(AgentEndpoints.For(record, context.Store.Directory(id)));
        return await AttachedExec.RunAsync(agent, id, execId, process, io);
    }

    private static int Detached(LifecycleContext context, ExecRequest request, Oci.Spec.Process process, string execId)
    {
        var directory = context.Store.Directory(request.Id);
        var processFile = Path.Combine(directory, execId + ".json");
        Storage.PrivateFiles.WriteAllText(processFile, System.Text.Json.JsonSerializer.Serialize(process, Oci.Spec.OciJsonContext.Default.Process));
        var arguments = new List<string>(context.GlobalArguments) { "relay", "--id", request.Id, "--exec-id", execId, "--process", processFile };
        if (request.ConsoleSocket is not null)
            arguments.AddRange(["--console-socket", Path.GetFullPath(request.ConsoleSocket)]);
        arguments.Add("exec");
        RelayReport report;
        using (context.Store.Lock(request.Id))
            report = RelayLauncher.Start(arguments, newNetworkNamespace: false, Path.Combine(directory, execId + ".log"), inheritStdio: request.ConsoleSocket is null, display: process.Args!);
        if (!report.Ok)
        {
            context.Log.LogDebug("exec {Id}: {Error}", request.Id, report.Error);
            throw new ExecFailedException(report.Error ?? "exec failed", report.ExitCode ?? 1);
        }
        if (request.PidFile is not null)
            PidFile.Write(request.PidFile, report.Pid);
        return 0;
    }
}
