using SandboxRt.Agent;
using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Transport;
using SandboxRt.Interop;

// sandboxrt-agent
//   (no arguments, as PID 1)     boot the guest and serve the agent API (the VM's /init)
//   serve --listen unix:PATH --token-file F
//                                serve the agent API on a Unix socket (on a host, for tests and tools) to
//                                callers that send the 32-byte token in F first (AgentAuthPreamble)
//   --version                    print the version
if (args.Length == 0 && ChildProcesses.CurrentPid == 1)
    return await GuestBoot.RunAsync();

switch (args.FirstOrDefault())
{
    case "--version" or "version":
        Console.WriteLine($"sandboxrt-agent {AgentVersion.Value}");
        return 0;
    case "serve":
        return await ServeOnHostAsync(args[1..]);
    default:
        Console.Error.WriteLine("usage: sandboxrt-agent [--version | serve --listen unix:PATH --token-file FILE [--debug]]");
        Console.Error.WriteLine("       (with no arguments the agent must run as PID 1 of a guest)");
        return 2;
}

static async Task<int> ServeOnHostAsync(string[] args)
{
    string? listen = null, tokenFile = null;
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] == "--listen" && i + 1 < args.Length)
            listen = args[++i];
        else if (args[i] == "--token-file" && i + 1 < args.Length)
            tokenFile = args[++i];
        else if (args[i] == "--debug")
            AgentLog.Debug = true;
    }
    if (listen is null || !listen.StartsWith("unix:", StringComparison.Ordinal))
    {
        Console.Error.WriteLine("serve: --listen unix:PATH is required");
        return 2;
    }
    if (tokenFile is null)
    {
        Console.Error.WriteLine("serve: --token-file FILE is required (the 32-byte secret every caller must send first)");
        return 2;
    }
    byte[] token;
    try
    {
        token = AgentTokenSource.ReadFile(tokenFile);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
    {
        Console.Error.WriteLine($"serve: --token-file: {e.Message}");
        return 2;
    }
    var path = listen[5..];
    File.Delete(path);
    var facts = new BootFacts { AgentStart = BootClock.Now };
    facts.SystemReady = facts.AgentStart;
    using var stop = new CancellationTokenSource();
    using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
        System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
    using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(
        System.Runtime.InteropServices.PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
    await using (var server = await AgentServer.StartAsync(AgentChannel.Unix(path), facts, token, containers: null))
    {
        facts.Serving = BootClock.Now;
        AgentLog.Info($"serving unix:{path}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
    File.Delete(path);
    return 0;
}
