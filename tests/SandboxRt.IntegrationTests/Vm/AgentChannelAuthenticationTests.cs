using System.Net.Sockets;
using SandboxRt.Agent.Protocol;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;
using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>
/// The agent of a real VM serves only callers that present the sandbox's token. A client attaches to the
/// VM's agent channel (the virtio-serial chardev socket QEMU listens on) as any other process would:
/// without the token, and with a wrong one, the agent closes the connection and answers nothing; with
/// the token from the sandbox's state directory it serves. (vhost-vsock cannot run on this machine, no
/// /dev/vhost-vsock; the agent's check is one Kestrel connection middleware shared by both transports.)
/// </summary>
[Trait("Tier", "vm")]
public sealed class AgentChannelAuthenticationTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90); // fails a hung step; not waited out when it passes

    [Fact]
    public async Task Only_a_caller_with_the_sandboxs_token_is_served()
    {
        TestEnvironment.RequireVmPrerequisites();
        using var state = new ScratchDirectory("srt-vm");
        var id = "auth-" + Guid.NewGuid().ToString("N")[..8];
        await using var sandbox = await Sandbox.StartAsync(new SandboxStartOptions(id, state.Path, VmTestConfig.Load()), TestLog.Instance, TestContext.Current.CancellationToken);
        var bootId = (await sandbox.Agent.GuestDetailsAsync()).BootId;
        var socket = ((SerialChannelConnector)sandbox.Vm.AgentConnector).SocketPath; // the channel itself, under the token and the VM-bound layers
        var tokenFile = AgentToken.PathIn(sandbox.StateDirectory);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(tokenFile));
        Assert.DoesNotContain(Convert.ToHexString(File.ReadAllBytes(tokenFile)), Convert.ToHexString(File.ReadAllBytes($"/proc/{sandbox.Vm.Pid}/cmdline")));
        sandbox.Agent.Dispose(); // the host's own connection lets go of the one-client channel

        // 1. A standard gRPC client, no preamble: refused, and its call is never answered (it fails when
        //    the client gives up and detaches).
        Stream? attached = null;
        using (var plain = new RawGrpcChannel(async ct => attached = await new SerialChannelConnector(socket).ConnectAsync(ct)))
        {
            var call = plain.UnaryAsync(AgentMethods.Version, new VersionRequest(), new RawCallOptions(Limit));
            await WaitForConsoleAsync(sandbox, "does not start with the authentication preamble", 1);
            Assert.False(call.IsCompleted, "the call was answered");
            attached!.Dispose();
            var e = await Assert.ThrowsAsync<RpcException>(() => call);
            Assert.NotEqual(StatusCode.OK, e.StatusCode);
        }

        // 2. The preamble with a wrong token: refused, and not one byte after the hello (an HTTP/2 server
        //    would have sent its SETTINGS frame at once).
        using (var raw = await RawAttachAsync(socket))
        {
            var wrong = File.ReadAllBytes(tokenFile);
            wrong[0] ^= 0xff;
            await raw.SendAsync(AgentAuthPreamble.Build(wrong), SocketFlags.None);
            await WaitForConsoleAsync(sandbox, "wrong agent token", 1);
            Assert.Equal(0, raw.Available);
        }

        // 3. The token the state directory keeps: served, by the same agent (same boot).
        using var client = new AgentClient(new AuthenticatingConnector(new SerialChannelConnector(socket), AgentToken.Load(sandbox.StateDirectory)));
        var details = await client.GuestDetailsAsync(Limit);
        Assert.Equal(bootId, details.BootId);
        if (TestEnvironment.ImageModules.Contains("qemu_fw_cfg")) // Debian's kernel; ours has fw_cfg built in
            Assert.Contains("qemu_fw_cfg", details.LoadedModules);
    }

    /// <summary>
    /// Attaches to the chardev socket and reads the agent's hello, as any host process could. With the
    /// hello timeout and retry of an ordinary connect, not the boot-time wait: right after the previous
    /// client detached, the guest may not have seen it go before this one attaches (under load, both
    /// control messages can land before the refused session's reader wakes), and then only detaching
    /// again ends that session (SerialChannelConnector's design comment); a boot-time wait hung here.
    /// </summary>
    private static async Task<Socket> RawAttachAsync(string path)
    {
        using var limit = new CancellationTokenSource(Limit);
        var stream = await new SerialChannelConnector(path).ConnectAsync(limit.Token);
        return ((NetworkStream)stream).Socket;
    }

    /// <summary>Waits until the guest console has <paramref name="count"/> lines with the agent refusing for <paramref name="reason"/>.</summary>
    private static async Task WaitForConsoleAsync(Sandbox sandbox, string reason, int count)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (true)
        {
            var lines = File.ReadAllLines(sandbox.Vm.ConsoleLogPath).Where(l => l.Contains("refused a connection") && l.Contains(reason)).ToList();
            if (lines.Count >= count)
                return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the agent did not refuse ({reason}) within {Limit.TotalSeconds} s; console tail:\n{string.Join('\n', File.ReadAllLines(sandbox.Vm.ConsoleLogPath).TakeLast(20))}");
            await Task.Delay(50);
        }
    }
}
