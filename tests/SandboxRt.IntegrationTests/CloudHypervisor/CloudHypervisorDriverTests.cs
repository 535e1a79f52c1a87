using SandboxRt.IntegrationTests.Support;
using SandboxRt.Interop;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.State;

namespace SandboxRt.IntegrationTests.CloudHypervisor;

/// <summary>
/// The Cloud Hypervisor driver against a fake API server (cloud-hypervisor needs KVM and is not packaged
/// here): the launch path runs for real (a fake executable, virtiofsd, the state files, vmm.json), every
/// request is checked against the schemas of Cloud Hypervisor's OpenAPI document, the agent connector
/// speaks hybrid vsock to the socket vm.create named, the agent token travels in vm.create's SMBIOS OEM
/// strings and nowhere on a command line, the VM grows and shrinks through vm.resize, and a VM is stopped
/// both by its owner and, from vmm.json alone, by a later process. Root: the sockets live under
/// /run/sandboxrt/sock. None of this has booted a real Cloud Hypervisor (it needs KVM).
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
        public readonly AgentToken Token;

        /// <param name="imageBytes">A root image of that size for the configuration's "image"; 0: none (the initrd boots).</param>
        public Setup(long imageBytes = 0)
        {
            Directory.CreateDirectory(Scratch.Combine("token"));
            Token = AgentToken.Create(Scratch.Combine("token"));
            Server = new FakeClhApiServer(Scratch.Combine("upstream.sock"));
            var shared = Scratch.Combine("shared");
            Directory.CreateDirectory(shared);
            Config = new HypervisorConfig
            {
                Hypervisor = "clh",
                Kernel = WriteFile("vmlinux"),
                Initrd = WriteFile("initramfs.img"),
                Image = imageBytes > 0 ? WriteImage("rootfs.img", imageBytes) : "",
                Jail = false,
                VirtiofsdPath = FakeClhExecutable.WriteVirtiofsd(Scratch.Path),
                CloudHypervisor = new CloudHypervisorConfig { Path = FakeClhExecutable.Write(Scratch.Path, Server.SocketPath) },
            };
            Request = new VmLaunchRequest("clh1", Scratch.Combine("state"), Config)
            {
                Vcpus = 2, MemoryMib = 768, MaxVcpus = 4, MaxMemoryMib = 2048, SharedDirectory = shared, AgentTokenFile = Token.FilePath,
            };
        }

        private string WriteImage(string name, long bytes)
        {
            using (var image = File.Create(Scratch.Combine(name)))
                image.SetLength(bytes);
            return Scratch.Combine(name);
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
        Assert.Equal(4, (int)create["cpus"]!["max_vcpus"]!);
        Assert.Equal(768L * 1024 * 1024, (long)create["memory"]!["size"]!);
        Assert.Equal((2048L - 768) / 128 * 128 * 1024 * 1024, (long)create["memory"]!["hotplug_size"]!);
        Assert.Equal("Acpi", (string)create["memory"]!["hotplug_method"]!);
        Assert.True((bool)create["memory"]!["shared"]!);
        Assert.Equal(vm.ConsoleLogPath, (string)create["serial"]!["file"]!);
        Assert.Contains("sandboxrt.channel=vsock sandboxrt.port=1024", (string)create["payload"]!["cmdline"]!);
        Assert.Equal("virtio-fs", vm.SharedFs!.Kind);
        Assert.Equal(["1"], File.ReadAllLines(FakeClhExecutable.DescriptorLog(setup.Scratch.Path))); // the tap went with vm.add-net

        // the agent token: in vm.create's SMBIOS OEM strings, as the agent parses it; on no command line
        var oem = Assert.Single(create["platform"]!["oem_strings"]!.AsArray());
        Assert.Equal(setup.Token.OemString(), (string)oem!);
        var secretHex = Convert.ToHexStringLower(File.ReadAllBytes(setup.Token.FilePath));
        Assert.Equal(Agent.Protocol.AgentTokenOemString.Prefix + secretHex, (string)oem!);
        Assert.DoesNotContain(secretHex, (string)create["payload"]!["cmdline"]!);
        var argv = File.ReadAllText($"/proc/{vm.Pid}/cmdline");
        Assert.Contains("--api-socket", argv);
        Assert.DoesNotContain(secretHex, argv);
        Assert.DoesNotContain(setup.Token.FilePath, argv);
        Assert.DoesNotContain(secretHex, File.ReadAllText(Path.Combine(setup.Request.StateDirectory, "cloud-hypervisor.cmdline")));

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
    public async Task The_vm_grows_and_shrinks_through_vm_resize_with_bodies_that_match_the_openapi_document()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var vm = await HypervisorFactory.Create(setup.Config).LaunchAsync(setup.Request, timeout.Token);

        // vCPUs and memory in separate requests; memory in whole 128 MiB blocks (768 + 2 x 128 covers 1000)
        Assert.Equal((3, 1024), await vm.GrowAsync(3, 1000, timeout.Token));
        Assert.Equal(["""{"desired_vcpus":3}""", $$"""{"desired_ram":{{1024L << 20}}}"""], setup.Server.ResizeBodies);
        Assert.Equal((3, 1024), await vm.GrowAsync(2, 900, timeout.Token)); // nothing to do: vm.info only
        Assert.Equal(2, setup.Server.ResizeBodies.Count);

        // a later process (`sandboxrt update`) grows it through the socket vmm.json names
        var record = VmmRecord.Load(setup.Request.StateDirectory);
        Assert.Equal((4, 1152), await HypervisorFactory.Driver("clh").GrowDetachedAsync(record, 4, 1100, timeout.Token));

        // shrinking: vCPUs are ejected down to the boot size at least; ACPI-plugged memory stays, named, and no desired_ram is sent
        var (vcpus, memoryMib, kept) = await vm.ShrinkAsync(1, 512, timeout.Token);
        Assert.Equal((2, 1152), (vcpus, memoryMib));
        Assert.Equal("""{"desired_vcpus":2}""", setup.Server.ResizeBodies[^1]);
        Assert.Equal(5, setup.Server.ResizeBodies.Count);
        Assert.Contains("memory: 384 MiB hot-plugged stays", Assert.Single(kept));
        Assert.Empty(setup.Server.Violations);
        Assert.Equal(5, setup.Server.Requests.Count(r => r == "PUT /vm.resize"));
    }

    [Fact]
    public async Task Resize_failures_name_the_request_and_the_status()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var vm = await HypervisorFactory.Create(setup.Config).LaunchAsync(setup.Request, timeout.Token);

        var e = await Assert.ThrowsAsync<HypervisorException>(() => vm.GrowAsync(5, 768, timeout.Token));
        Assert.Contains("cannot grow the VM to 5 vCPUs: it was created with room for 4 (max_vcpus", e.Message);
        e = await Assert.ThrowsAsync<HypervisorException>(() => vm.GrowAsync(2, 4096, timeout.Token));
        Assert.Contains("cannot grow the VM from 768 to 4096 MiB", e.Message);
        Assert.Contains("PUT /api/v1/vm.resize: 500 Internal Server Error: Error resizing VM: MemoryManager(InsufficientHotplugRam)", e.Message);
        Assert.Contains("default_maxmemory_mib", e.Message);
        Assert.Equal(768, (long)setup.Server.LastCreateBody!["memory"]!["size"]! >> 20); // the refused growth changed nothing

        await vm.GrowAsync(3, 768, timeout.Token);
        setup.Server.Fail("vm.resize", "429 Too Many Requests", "Error resizing VM: CpuManager(VcpuPendingRemovedVcpu)");
        var (vcpus, _, kept) = await vm.ShrinkAsync(2, 768, timeout.Token);
        Assert.Equal(3, vcpus); // the guest keeps it: a warning, not a failure
        var line = Assert.Single(kept);
        Assert.Contains("vCPUs 3-3: Cloud Hypervisor did not eject them", line);
        Assert.Contains("PUT /api/v1/vm.resize: 429 Too Many Requests", line);
        e = await Assert.ThrowsAsync<HypervisorException>(() => vm.GrowAsync(4, 768, timeout.Token));
        Assert.Contains("cannot grow the VM from 3 to 4 vCPUs", e.Message);
        Assert.Contains("429", e.Message);

        setup.Server.Fail("vm.info", "500 Internal Server Error", "wedged");
        e = await Assert.ThrowsAsync<HypervisorException>(() => vm.ShrinkAsync(2, 768, timeout.Token)); // cannot be asked at all
        Assert.Contains("GET /api/v1/vm.info: 500 Internal Server Error: wedged", e.Message);
        Assert.Empty(setup.Server.Violations);
    }

    [Fact]
    public async Task The_root_image_boots_from_a_read_only_pmem_device_in_place_of_the_initramfs()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup(imageBytes: 32L << 20);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var vm = await HypervisorFactory.Create(setup.Config).LaunchAsync(setup.Request, timeout.Token);

        Assert.Empty(setup.Server.Violations); // pmem as PmemConfig says
        var create = setup.Server.LastCreateBody!;
        var pmem = Assert.Single(create["pmem"]!.AsArray())!;
        Assert.Equal(setup.Config.Image, (string)pmem["file"]!);
        Assert.True((bool)pmem["discard_writes"]!); // opened read-only, mapped privately: the guest cannot write the host's file
        Assert.Null(create["payload"]!["initramfs"]);
        Assert.Contains("root=/dev/pmem0 rootfstype=ext4 rootflags=dax=always ro init=/init", (string)create["payload"]!["cmdline"]!);
        await vm.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task A_root_image_the_guest_kernel_cannot_use_is_refused_naming_the_field_before_anything_starts()
    {
        TestEnvironment.RequireRoot();
        await using var setup = new Setup(imageBytes: (16L << 20) + 4096);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var e = await Assert.ThrowsAsync<HypervisorException>(() => HypervisorFactory.Create(setup.Config).LaunchAsync(setup.Request, timeout.Token));

        Assert.StartsWith("image: ", e.Message);
        Assert.Contains("not a whole number of 16 MiB", e.Message);
        Assert.Empty(setup.Server.Requests);
        Assert.False(Directory.Exists(setup.Request.StateDirectory) && Directory.EnumerateFileSystemEntries(setup.Request.StateDirectory).Any());
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
        Assert.Contains("$.platform.oem_strings[0]: expected a string, got Number", checker.Check("PUT", "/api/v1/vm.create", """{"payload":{},"platform":{"oem_strings":[1]}}"""));
        Assert.Contains("$.desired_vcpus: 0 is below the minimum 1", checker.Check("PUT", "/api/v1/vm.resize", """{"desired_vcpus":0}"""));
        Assert.Contains("$: unknown property 'vcpus'", checker.Check("PUT", "/api/v1/vm.resize", """{"vcpus":2}"""));
        Assert.NotEmpty(checker.Check("PUT", "/api/v1/vm.boot", "{}"));
        Assert.NotEmpty(checker.Check("PUT", "/api/v1/vm.fly", ""));
    }
}
