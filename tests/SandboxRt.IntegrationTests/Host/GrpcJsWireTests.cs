using System.Diagnostics;
using System.Text.Json;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.Host;

/// <summary>
/// Wire compatibility with standard gRPC: @grpc/grpc-js, an independent implementation, calls the real
/// agent binary over a Unix socket (tests/grpc-js/check.js) and reports what it saw. grpc-js reaches the
/// agent through a thin forwarder that sends the authentication preamble; a call without it is refused.
/// </summary>
[Trait("Tier", "host")]
public sealed class GrpcJsWireTests(AgentOnHost agent) : IClassFixture<AgentOnHost>
{
    private static readonly string ClientDir = Path.Combine(TestEnvironment.RepoRoot, "tests", "grpc-js");

    [Fact]
    public async Task Grpc_js_gets_correct_answers_and_statuses()
    {
        agent.RequireRunning();
        TestEnvironment.RequireCommand("node", "nodejs");
        TestEnvironment.RequireFile(Path.Combine(ClientDir, "node_modules", "@grpc", "grpc-js", "package.json"), "@grpc/grpc-js (make deps runs npm ci in tests/grpc-js)");

        var proto = Path.Combine(TestEnvironment.RepoRoot, "src", "common", "SandboxRt.Agent.Protocol", "agent.proto");
        using var node = Process.Start(new ProcessStartInfo("node", ["check.js", agent.SocketPath, proto, agent.Token.FilePath])
        {
            WorkingDirectory = ClientDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(node.ExitCode == 0, $"node check.js failed: {await stderr}");
        using var doc = JsonDocument.Parse(await stdout);
        var r = doc.RootElement;

        int Code(string name) => r.GetProperty(name).GetProperty("code").GetInt32();
        JsonElement Response(string name) => r.GetProperty(name).GetProperty("response");

        Assert.Equal(14, Code("withoutPreamble"));                     // UNAVAILABLE: the agent closed the connection
        Assert.Equal(0, Code("check"));
        Assert.Equal("SERVING", Response("check").GetProperty("status").GetString());
        Assert.Equal(5, Code("checkUnknownService"));                 // NOT_FOUND
        Assert.Contains("no.such.Service", r.GetProperty("checkUnknownService").GetProperty("details").GetString());
        Assert.Equal("sandboxrt.agent.v1", Response("version").GetProperty("apiVersion").GetString());
        Assert.Equal("unix", Response("guestDetails").GetProperty("transport").GetString());
        Assert.Equal(TestEnvironment.HostKernelRelease, Response("guestDetails").GetProperty("kernelRelease").GetString());
        Assert.Equal(4, Code("watch"));                                // DEADLINE_EXCEEDED after the stream began
        Assert.Equal(["SERVING"], r.GetProperty("watch").GetProperty("messages").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(8, Code("oversized"));                            // RESOURCE_EXHAUSTED
        Assert.Contains("larger than max", r.GetProperty("oversized").GetProperty("details").GetString());
        Assert.Equal(0, Code("afterOversized"));
        Assert.Equal(12, Code("unknownMethod"));                       // UNIMPLEMENTED
        Assert.Equal(0, Code("sink"));                                 // client streaming: 8 MiB in, counted and hashed by the agent
        Assert.Equal(8 * 1024 * 1024, r.GetProperty("sink").GetProperty("bytes").GetInt64());
        Assert.Equal(r.GetProperty("sink").GetProperty("expectedSha256").GetString(), r.GetProperty("sink").GetProperty("sha256").GetString());
        Assert.Equal(4, Code("deadlineAlreadyPassed"));
        Assert.Equal(50, r.GetProperty("concurrentOk").GetInt32());
    }
}
