using SandboxRt.IntegrationTests.Support;
using SandboxRt.Interop;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.State;

namespace SandboxRt.IntegrationTests.CloudHypervisor;

/// <summary>
/// The Cloud Hypervisor driver against a fake API server (cloud-hypervisor needs KVM and is not packaged
/// here): the launch path runs for real (a fake executable, virtiofsd, the state files, vmm.json), every
/// request is checked against the schemas of Cloud Hypervisor's OpenAPI document, the agent connector
/// speaks hybrid vsock to the socket vm.create named, and a VM is stopped both by its owner and, from
/// vmm.json alone, by a later process. Root: the sockets live under /run/sandboxrt/sock.
/// </summary>
[Trait("Tier", "host")]
public sealed class CloudHypervisorDriverTests
{
    private sealed class Setup : IAsyncDisposable
    {
        public readonly ScratchDirectory Scratch = new("srt-clh");
        public readonly FakeClhApiServer Server;
        public readonly HypervisorConfig Config;
        public readonly VmLaunchRequest Request;

        public Setup()
        {
            Server = new FakeClhApiServer(Scratch.Combine("upstream.sock"));
            var shared = Scratch.Combine("shared");
            Directory.CreateDirectory(shared);
            Config = new HypervisorConfig
            {
                Hypervisor = "clh",
                Kernel = WriteFile("vmlinux"),
                Initrd = WriteFile("initramfs.img"),
                Jail = false,
                VirtiofsdPath = FakeClhExecutable.WriteVirtiofsd(Scratch.Path),
                CloudHypervisor = new CloudHypervisorConfig { Path = FakeClhExecutable.Write(Scratch.Path, Server.SocketPath) },
            };
            Request = new VmLaunchRequest("clh1", Scratch.Combine("state"), Config) { Vcpus = 2, MemoryMib = 768, SharedDirectory = shared };
        }

        private string WriteFile(string name)
        {
            File.WriteAllText(Scratch.Combine(name), name);
            return Scratch.Combine(name);
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Scratch.Dispose();
        }
    }

    [Fact]
    public async Task Launch_drives_the_api_in_order_with_bodies_that_match_the_openapi_document_and_stop_shuts_down()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var hypervisor = HypervisorFactory.Create(setup.Config);
        Assert.Equal("hybrid-vsock", hypervisor.Capabilities.GuestChannel);
        var (tap, tapPeer) = FdPassingSocket.CreatePair(); // stands in for a tap: the fake only counts what arrives
        using var _ = tapPeer;
        byte[] mac = [0x02, 0xab, 0, 0, 0, 0x0f];
        await using var vm = await hypervisor.LaunchAsync(setup.Request with { NetworkDevices = [new NetworkDevicePlan(tap, mac, 1400)] }, timeout.Token);
        tap.Dispose();

        Assert.Equal(["GET /vmm.ping", "PUT /vm.create", "PUT /vm.add-fs", "PUT /vm.add-net", "PUT /vm.boot"], setup.Server.Requests);
        Assert.Empty(setup.Server.Violations);
        var create = setup.Server.LastCreateBody!;
        Assert.Equal(2, (int)create["cpus"]!["boot_vcpus"]!);
        Assert.Equal(768L * 1024 * 1024, (long)create["memory"]!["size"]!);
        Assert.True((bool)create["memory"]!["shared"]!);
        Assert.Equal(vm.ConsoleLogPath, (string)create["serial"]!["file"]!);
        Assert.Contains("sandboxrt.channel=vsock sandboxrt.port=1024", (string)create["payload"]!["cmdline"]!);
        Assert.Equal("virtio-fs", vm.SharedFs!.Kind);
        Assert.Equal(["1"], File.ReadAllLines(FakeClhExecutable.DescriptorLog(setup.Scratch.Path))); // the tap went with vm.add-net

        var record = VmmRecord.Load(setup.Request.StateDirectory);
        Assert.Equal(("clh", "hybrid-vsock", 1024u), (record.Driver, record.AgentChannelKind, record.AgentPort));
        Assert.Equal((string)create["vsock"]!["socket"]!, record.AgentSocket);

        // the agent connector: CONNECT 1024 on the vsock socket, then a plain stream
        await using (var stream = await vm.AgentConnector.ConnectAsync(timeout.Token))
        {
            await stream.WriteAsync("hello"u8.ToArray(), timeout.Token);
            var echo = new byte[5];
            await stream.ReadExactlyAsync(echo, timeout.Token);
            Assert.Equal("hello"u8.ToArray(), echo);
        }
        Assert.Equal(["CONNECT 1024"], setup.Server.VsockConnects);

        await vm.StopAsync(timeout.Token);
        Assert.Equal(["PUT /vm.shutdown", "PUT /vmm.shutdown"], setup.Server.Requests.Skip(5));
        Assert.Empty(setup.Server.Violations);
        Assert.Contains("exited 0", await vm.Exited);
        Assert.False(File.Exists(record.ControlSocket));
    }

    [Fact]
    public async Task A_later_process_stops_the_vm_from_vmm_json_through_the_api_socket()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var vm = await HypervisorFactory.Create(setup.Config).LaunchAsync(setup.Request, timeout.Token);
        var identity = ProcessIdentity.Of(vm.Pid);
        var helper = ProcessIdentity.Of(vm.HelperPids.Single());

        await HypervisorFactory.StopDetachedAsync(identity, [helper], setup.Request.StateDirectory, TimeSpan.FromSeconds(30));

        Assert.Equal(["PUT /vm.shutdown", "PUT /vmm.shutdown"], setup.Server.Requests.Skip(4));
        Assert.Contains("exited 0", await vm.Exited.WaitAsync(timeout.Token));
        Assert.False(identity!.IsAlive);
        Assert.False(File.Exists(VmmRecord.PathIn(setup.Request.StateDirectory)));
    }

    [Fact]
    public void The_schema_checker_rejects_unknown_and_missing_fields_and_wrong_types()
    {
        var checker = OpenApiSchemaChecker.Load();
        Assert.Empty(checker.Check("PUT", "/api/v1/vm.add-fs", """{"tag":"t","socket":"/s","num_queues":1,"queue_size":1024}"""));
        Assert.Contains("$: unknown property 'cache_size'", checker.Check("PUT", "/api/v1/vm.add-fs", """{"tag":"t","socket":"/s","num_queues":1,"queue_size":1024,"cache_size":1}"""));
        Assert.Contains("$: required property 'socket' is missing", checker.Check("PUT", "/api/v1/vm.add-fs", """{"tag":"t","num_queues":1,"queue_size":1024}"""));
        Assert.Contains("$.payload.kernel: expected a string, got Number", checker.Check("PUT", "/api/v1/vm.create", """{"payload":{"kernel":5}}"""));
        Assert.Contains("$.serial.mode: 'file' is not one of Off, Pty, Tty, File, Socket, Null", checker.Check("PUT", "/api/v1/vm.create", """{"payload":{},"serial":{"mode":"file"}}"""));
        Assert.Contains("$.vsock.cid: 2 is below the minimum 3", checker.Check("PUT", "/api/v1/vm.create", """{"payload":{},"vsock":{"cid":2,"socket":"/v"}}"""));
        Assert.NotEmpty(checker.Check("PUT", "/api/v1/vm.boot", "{}"));
        Assert.NotEmpty(checker.Check("PUT", "/api/v1/vm.fly", ""));
    }
}
