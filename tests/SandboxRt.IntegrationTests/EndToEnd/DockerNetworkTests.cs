using System.Net;
using SandboxRt.IntegrationTests.Support;

namespace SandboxRt.IntegrationTests.EndToEnd;

/// <summary>
/// Docker 20.10 with its default bridge (dockerd, containerd, docker0, iptables and docker-proxy in a
/// network namespace the fixture made) and SandboxRt as "kata-runtime": the container's namespace is
/// configured by Docker's prestart hook (libnetwork-setkey) and mirrored into the VM; published ports
/// reach a server in the VM; the VM is as big as the container's limits; --network container:ID runs in
/// that container's VM.
/// </summary>
[Trait("Tier", "e2e")]
[Collection("e2e")]
public sealed class DockerNetworkTests(BridgedDockerDaemon docker) : IClassFixture<BridgedDockerDaemon>
{
    private Task<Command> Run(params string[] args) =>
        docker.Docker(["run", "--rm", "--runtime", DockerDaemon.Runtime, .. args]);

    [Fact]
    public async Task The_default_bridge_gives_eth0_its_address_route_and_dns_options()
    {
        docker.RequireRunning();
        var run = await Run("--dns", "10.1.2.3", "--dns-search", "example.test", "--dns-option", "ndots:2",
            "--add-host", "db.example.test:10.9.8.7", "--hostname", "vmhost", LocalImage.Reference,
            "sh", "-c", "busybox ip -4 -o addr show eth0; busybox ip route; busybox ping -c 1 -W 10 172.17.0.1 >/dev/null && echo gateway-answers; " +
                        "cat /etc/resolv.conf; grep db.example.test /etc/hosts; hostname");
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + run.Stderr);
        Assert.Equal(0, run.ExitCode);
        var lines = run.Stdout.Split('\n');
        var address = System.Text.RegularExpressions.Regex.Match(lines[0], @"eth0\s+inet (172\.17\.\d+\.\d+)/16");
        Assert.True(address.Success, "no eth0 with an address on Docker's bridge: " + run.Stdout);
        Assert.Contains("default via 172.17.0.1 dev eth0", run.Stdout);
        Assert.Contains("gateway-answers", run.Stdout);
        Assert.Contains("nameserver 10.1.2.3", run.Stdout);
        Assert.Contains("search example.test", run.Stdout);
        Assert.Contains("options ndots:2", run.Stdout);
        Assert.Contains("10.9.8.7\tdb.example.test", run.Stdout);
        Assert.Equal("vmhost", lines.Last(l => l.Length > 0));
    }

    [Fact]
    public async Task A_published_port_reaches_a_server_in_the_vm_through_docker_proxy_and_dnat()
    {
        docker.RequireRunning();
        var id = (await docker.Docker("run", "-d", "--runtime", DockerDaemon.Runtime, "-p", "8080:80", LocalImage.Reference,
            "sh", "-c", "busybox mkdir -p /www && echo served-from-the-vm > /www/index.html && exec busybox httpd -f -p 80 -h /www")).Ok().Stdout.Trim();
        try
        {
            // 127.0.0.1:8080 is docker-proxy's; the bridge's own address goes through the DNAT rule in OUTPUT
            foreach (var target in new[] { "127.0.0.1:8080", "172.17.0.1:8080" })
            {
                var fetch = await docker.FetchAsync(target, TimeSpan.FromSeconds(60));
                Assert.True(fetch.ExitCode == 0, $"wget http://{target}/ in {docker.NetworkNamespace}: {fetch.Stderr}");
                Assert.Equal("served-from-the-vm\n", fetch.Stdout);
            }
            var dnat = (await docker.InNamespaceAsync("iptables", "-t", "nat", "-S", "DOCKER")).Ok().Stdout;
            Assert.Contains("--dport 8080 -j DNAT --to-destination 172.17.", dnat);
        }
        finally
        {
            (await docker.Docker("rm", "-f", id)).Ok();
        }
        await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// A dual-stack user-defined network (docker network create --ipv6): the guest's eth0 has the
    /// container's IPv6 address usable at once, as a runc container's is (Docker adds it without
    /// duplicate address detection, and so does the agent): the first ping from it is answered.
    /// </summary>
    [Fact]
    public async Task An_ipv6_network_gives_the_guest_its_address_usable_at_once()
    {
        docker.RequireRunning();
        var network = "srt-net6-" + Guid.NewGuid().ToString("N")[..6];
        (await docker.Docker("network", "create", "--ipv6", "--subnet", "fd00:88::/64", "--subnet", "10.92.0.0/24", network)).Ok();
        try
        {
            // ping needs NET_RAW, which Docker's default capabilities have
            var run = await Run("--network", network, LocalImage.Reference, "sh", "-c",
                "busybox ip -6 -o addr show dev eth0 scope global; busybox ping -6 -c 1 -W 10 fd00:88::1");
            TestContext.Current.TestOutputHelper?.WriteLine(run.Stdout + run.Stderr);
            Assert.Contains("inet6 fd00:88::", run.Stdout);
            Assert.DoesNotContain("tentative", run.Stdout);
            Assert.True(run.ExitCode == 0, "the first ping from the container's IPv6 address was not answered: " + run.Stdout + run.Stderr);
            Assert.Contains("1 packets received", run.Stdout);
        }
        finally
        {
            (await docker.Docker("network", "rm", network)).Ok();
        }
    }

    /// <summary>
    /// docker run --network container:X with X under runc: X's init lives in that namespace on the host,
    /// and mirroring it into a VM would take every frame of X's eth0 from it (before, X stopped answering).
    /// Refused, naming the process; X goes on serving.
    /// </summary>
    [Fact]
    public async Task Sharing_the_network_of_a_runc_container_is_refused_and_leaves_it_serving()
    {
        docker.RequireRunning();
        var server = (await docker.Docker("run", "-d", "--runtime", "runc", LocalImage.Reference,
            "sh", "-c", "busybox mkdir -p /www && echo still-served > /www/index.html && exec busybox httpd -f -p 80 -h /www")).Ok().Stdout.Trim();
        try
        {
            var address = (await docker.Docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", server)).Ok().Stdout.Trim();
            Assert.Equal("still-served\n", (await docker.FetchAsync(address + ":80", TimeSpan.FromSeconds(60))).Stdout);
            var run = await Run("--network", "container:" + server, LocalImage.Reference, "true");
            TestContext.Current.TestOutputHelper?.WriteLine(run.Stderr);
            Assert.Equal(125, run.ExitCode);
            Assert.Contains("linux.namespaces[network].path", run.Stderr);
            Assert.Contains("is in use by host process", run.Stderr);
            Assert.Contains("(busybox)", run.Stderr); // busybox httpd, the runc container's init
            var again = await docker.FetchAsync(address + ":80", TimeSpan.FromSeconds(10));
            Assert.True(again.ExitCode == 0, "the runc container stopped answering: " + again.Stderr);
            Assert.Equal("still-served\n", again.Stdout);
        }
        finally
        {
            (await docker.Docker("rm", "-f", server)).Ok();
        }
    }

    [Fact]
    public async Task Network_host_is_refused_with_a_clear_error()
    {
        docker.RequireRunning();
        var run = await Run("--network", "host", LocalImage.Reference, "true");
        TestContext.Current.TestOutputHelper?.WriteLine(run.Stderr);
        Assert.Equal(125, run.ExitCode);
        Assert.Contains("is this runtime's own network namespace", run.Stderr);
        Assert.Contains("docker run --network host is not supported", run.Stderr);
    }

    [Fact]
    public async Task Containers_on_a_user_defined_bridge_resolve_each_other_by_name_through_dockers_embedded_dns()
    {
        docker.RequireRunning();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var network = "srt-dns-" + suffix;
        string[] names = ["srt-a-" + suffix, "srt-b-" + suffix];
        (await docker.Docker("network", "create", "--subnet", "10.89.0.0/24", network)).Ok();
        var started = new List<string>();
        try
        {
            foreach (var name in names)
                started.Add((await docker.Docker("run", "-d", "--runtime", DockerDaemon.Runtime, "--network", network, "--name", name, LocalImage.Reference,
                    "sleep", "600")).Ok().Stdout.Trim());
            var addresses = new List<string>();
            foreach (var id in started)
                addresses.Add((await docker.Docker("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", id)).Ok().Stdout.Trim());
            Assert.All(addresses, a => Assert.StartsWith("10.89.0.", a));
            // each query goes to 127.0.0.11 in the asking container's VM, through its relay to Docker's
            // embedded server in that container's namespace on the host; the names are Docker's once `run -d` returned.
            // Both VMs are clones of a VM template (vm_template is on by default): the forwarding starts
            // after the clone was set up, not from its boot (checked 2026-12-05: the run built a template for this guest image)
            for (int i = 0; i < 2; i++)
            {
                var (other, address) = (names[1 - i], addresses[1 - i]);
                var asked = await docker.Docker("exec", started[i], "sh", "-c", $"cat /etc/resolv.conf; busybox nslookup {other}; busybox ping -c 1 -W 10 {other}");
                TestContext.Current.TestOutputHelper?.WriteLine($"{names[i]}: {asked.Stdout}{asked.Stderr}");
                Assert.Equal(0, asked.ExitCode);
                Assert.Contains("nameserver 127.0.0.11", asked.Stdout);
                Assert.Matches($@"Name:\s+{other}\s+Address:\s+{System.Text.RegularExpressions.Regex.Escape(address)}", asked.Stdout);
                Assert.Contains($"PING {other} ({address})", asked.Stdout);
                Assert.Contains("1 packets received", asked.Stdout);
            }
        }
        finally
        {
            foreach (var id in started)
                (await docker.Docker("rm", "-f", id)).Ok();
            (await docker.Docker("network", "rm", network)).Ok();
        }
        foreach (var id in started)
            await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_name_with_more_addresses_than_a_udp_answer_holds_resolves_whole_over_tcp_as_under_runc()
    {
        docker.RequireRunning();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var network = "srt-dnstcp-" + suffix;
        // An A record takes 16 bytes of an answer: 32 of them do not fit in the 512 bytes of a UDP answer
        // without EDNS, so Docker's server truncates it (TC) and the client asks again over TCP, as
        // glibc's resolver does. The 32 holders of the alias run under runc (quick to start); only the
        // asking container is a VM.
        const int Holders = 32;
        (await docker.Docker("network", "create", "--subnet", "10.89.1.0/24", network)).Ok();
        var started = new List<string>();
        try
        {
            for (int i = 0; i < Holders; i++)
                started.Add((await docker.Docker("run", "-d", "--network", network, "--network-alias", "many", LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim());
            var asker = (await docker.Docker("run", "-d", "--runtime", DockerDaemon.Runtime, "--network", network, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
            started.Add(asker);
            var expected = new HashSet<string>();
            foreach (var id in started.Take(Holders))
                expected.Add((await docker.Docker("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", id)).Ok().Stdout.Trim());

            foreach (var (who, id) in new[] { ("runc", started[0]), ("kata-runtime", asker) })
            {
                var udp = await docker.Docker("exec", id, "dnsprobe", "many", "udp");
                var tcp = await docker.Docker("exec", id, "dnsprobe", "many", "tcp");
                TestContext.Current.TestOutputHelper?.WriteLine($"{who}: udp: {udp.Stdout}{udp.Stderr}\n{who}: tcp: {tcp.Stdout}{tcp.Stderr}");
                Assert.Equal(0, udp.ExitCode);
                Assert.StartsWith("tc=1 rcode=0 ", udp.Stdout);
                Assert.Equal(0, tcp.ExitCode);
                Assert.StartsWith($"tc=0 rcode=0 answers={Holders} ", tcp.Stdout);
                Assert.Equal(expected, tcp.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToHashSet());
            }
        }
        finally
        {
            foreach (var id in started)
                (await docker.Docker("rm", "-f", id)).Ok();
            (await docker.Docker("network", "rm", network)).Ok();
        }
    }

    [Fact]
    public async Task Memory_and_cpus_make_the_vm_that_much_bigger()
    {
        docker.RequireRunning();
        const string probe = "busybox nproc; grep MemTotal /proc/meminfo; cat /sys/fs/cgroup/memory.max";
        var plain = (await Run(LocalImage.Reference, "sh", "-c", probe)).Ok().Stdout.Split('\n');
        var sized = (await Run("--memory", "1g", "--cpus", "2", LocalImage.Reference, "sh", "-c", probe)).Ok().Stdout.Split('\n');
        TestContext.Current.TestOutputHelper?.WriteLine($"default: {string.Join(" | ", plain)}\n--memory 1g --cpus 2: {string.Join(" | ", sized)}");
        static long KiB(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        // default_vcpus (1) + 2, capped by the host's CPUs
        Assert.Equal(Math.Min(1 + 2, Environment.ProcessorCount).ToString(), sized[0]);
        Assert.Equal("1", plain[0]);
        long moreMib = (KiB(sized[1]) - KiB(plain[1])) / 1024;
        Assert.InRange(moreMib, 960, 1024); // 1 GiB less the kernel's page structures for it
        Assert.Equal("1073741824", sized[2]);
        Assert.Equal("max", plain[2]);
    }

    [Fact]
    public async Task Containers_on_a_user_defined_bridge_reach_each_other_and_container_mode_shares_the_vm_and_its_pid_namespace()
    {
        docker.RequireRunning();
        var network = "srt-net-" + Guid.NewGuid().ToString("N")[..6];
        (await docker.Docker("network", "create", "--subnet", "10.88.0.0/24", network)).Ok();
        string? server = null;
        try
        {
            server = (await docker.Docker("run", "-d", "--runtime", DockerDaemon.Runtime, "--network", network, LocalImage.Reference,
                "sh", "-c", "busybox mkdir -p /www && echo peer-vm > /www/index.html && exec busybox httpd -f -p 80 -h /www")).Ok().Stdout.Trim();
            var address = (await docker.Docker("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", server)).Ok().Stdout.Trim();
            Assert.StartsWith("10.88.0.", address);
            // the client's VM waits for the server's httpd (it may still be starting) by retrying its fetch
            var client = await Run("--network", network, LocalImage.Reference, "sh", "-c",
                $"busybox ip -4 -o addr show eth0; for i in $(busybox seq 1 60); do busybox timeout 5 busybox wget -q -O - http://{address}/ && exit 0; sleep 1; done; exit 1");
            TestContext.Current.TestOutputHelper?.WriteLine(client.Stdout + client.Stderr);
            Assert.Equal(0, client.ExitCode);
            Assert.Contains("inet 10.88.0.", client.Stdout);
            Assert.EndsWith("peer-vm\n", client.Stdout);

            // --network container:ID runs in the server's VM: the server's eth0 and address, its httpd on
            // 127.0.0.1, the output through Docker's fifos and the exit status
            var joined = await Run("--network", "container:" + server, LocalImage.Reference, "sh", "-c",
                "busybox ip -4 -o addr show eth0; busybox timeout 20 busybox wget -q -O - http://127.0.0.1/ && exit 3");
            TestContext.Current.TestOutputHelper?.WriteLine(joined.Stdout + joined.Stderr);
            Assert.Equal(3, joined.ExitCode);
            Assert.Contains($"inet {address}/24", joined.Stdout);
            Assert.EndsWith("peer-vm\n", joined.Stdout);
            // --pid container:ID as well: the server's pid namespace in that VM (its httpd is pid 1 there);
            // without its network the container would be in another VM, and is refused naming the field
            var sidecar = await Run("--network", "container:" + server, "--pid", "container:" + server, LocalImage.Reference, "busybox", "ps", "-o", "pid,args");
            TestContext.Current.TestOutputHelper?.WriteLine(sidecar.Stdout + sidecar.Stderr);
            Assert.Equal(0, sidecar.ExitCode);
            Assert.Matches(@"(?m)^ +1 busybox httpd -f -p 80 -h /www$", sidecar.Stdout);
            var alone = await Run("--pid", "container:" + server, LocalImage.Reference, "true");
            Assert.NotEqual(0, alone.ExitCode);
            Assert.Contains($"is the pid namespace of container {server}, which is in that container's VM", alone.Stderr);
            // the server goes on serving after the joined container was removed (docker run --rm)
            var again = await docker.Docker("exec", server, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1/");
            Assert.Equal("peer-vm\n", again.Ok().Stdout);
        }
        finally
        {
            if (server is not null)
                (await docker.Docker("rm", "-f", server)).Ok();
            (await docker.Docker("network", "rm", network)).Ok();
        }
        await HostLeaks.AssertGoneAsync(server!, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// docker network connect to a running container hot-plugs a NIC with the new network's address (a
    /// server on that network answers through it), docker network disconnect unplugs it again, and a
    /// second connect gets a NIC again. Without templates the VM is a cold one and takes no NIC after
    /// its start: the runtime's log.json names the interface and says why.
    /// </summary>
    [Fact]
    public async Task Network_connect_and_disconnect_on_a_running_container_plug_and_unplug_its_nic()
    {
        docker.RequireRunning();
        var network = "srt-net-" + Guid.NewGuid().ToString("N")[..6];
        (await docker.Docker("network", "create", "--subnet", "10.89.0.0/24", network)).Ok();
        string? server = null, client = null;
        try
        {
            var serverName = "srt-srv-" + Guid.NewGuid().ToString("N")[..6];
            server = (await docker.Docker("run", "-d", "--runtime", "runc", "--network", network, "--name", serverName, LocalImage.Reference,
                "sh", "-c", "busybox mkdir -p /www && echo on-the-second-network > /www/index.html && exec busybox httpd -f -p 80 -h /www")).Ok().Stdout.Trim();
            var address = (await docker.Docker("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", server)).Ok().Stdout.Trim();
            client = (await docker.Docker("run", "-d", "--runtime", DockerDaemon.Runtime, LocalImage.Reference, "sleep", "600")).Ok().Stdout.Trim();
            for (int round = 0; round < 2; round++)
            {
                (await docker.Docker("network", "connect", network, client)).Ok();
                var mine = (await docker.Docker("inspect", "-f", $"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}", client)).Ok().Stdout.Trim();
                Assert.StartsWith("10.89.0.", mine);
                if (TestEnvironment.TemplatesOff)
                {
                    var log = docker.RuntimeLog(client);
                    await Condition.WaitAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("are not in the VM"), "the runtime's log to report the new interface");
                    Assert.Contains("the VM cannot take a NIC after its start", File.ReadAllText(log));
                    Assert.Contains(", are not in the VM", File.ReadAllText(log));
                    return;
                }
                // the guest's side of the event: an interface with the address appears (bounded in the guest)
                var plugged = await docker.Docker("exec", client, "sh", "-c",
                    $"busybox timeout 60 sh -c 'until busybox ip -o -4 addr | busybox grep -q \"inet {mine}/\"; do busybox sleep 0.05; done' && " +
                    $"busybox timeout 20 busybox wget -q -O - http://{address}/");
                TestContext.Current.TestOutputHelper?.WriteLine(plugged.Stdout + plugged.Stderr);
                Assert.True(plugged.ExitCode == 0, $"round {round}: no interface with {mine}, or {address} did not answer: {plugged.Stderr}\n" + File.ReadAllText(docker.RuntimeLog(client)));
                Assert.Equal("on-the-second-network\n", plugged.Stdout);
                // the network brought Docker's embedded DNS (resolv.conf now names 127.0.0.11 only): the
                // server's name resolves in the VM as under runc (before, every name failed after a connect)
                // (retried: the guest may read the old resolv.conf for up to a second, virtio-fs cache=auto)
                var named = await docker.Docker("exec", client, "busybox", "timeout", "20", "sh", "-c",
                    $"until busybox wget -q -O - http://{serverName}/; do busybox sleep 0.2; done");
                Assert.True(named.ExitCode == 0, $"round {round}: {serverName} did not resolve or answer after the connect: {named.Stderr}\n" + File.ReadAllText(docker.RuntimeLog(client)));
                Assert.Equal("on-the-second-network\n", named.Stdout);

                (await docker.Docker("network", "disconnect", network, client)).Ok();
                var unplugged = await docker.Docker("exec", client, "busybox", "timeout", "60", "sh", "-c",
                    $"while busybox ip -o -4 addr | busybox grep -q 'inet {mine}/'; do busybox sleep 0.05; done; busybox ip -o link | busybox wc -l");
                Assert.True(unplugged.ExitCode == 0, $"round {round}: {mine} stayed in the guest: {unplugged.Stderr}");
                Assert.Equal("2", unplugged.Stdout.Trim()); // lo and eth0: the NIC went, not just its address
            }
        }
        finally
        {
            foreach (var id in new[] { client, server })
                if (id is not null)
                    (await docker.Docker("rm", "-f", id)).Ok();
            (await docker.Docker("network", "rm", network)).Ok();
        }
        await HostLeaks.AssertGoneAsync(client!, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// With a VM cache (vm_cache_number=1, DockerDaemon.CachedRuntime): the first container's create
    /// spawns an entry that waits at nice 19 and refuses claims that do not hold up; the next container
    /// takes its VM after Docker's prestart hook configured the network namespace (its bridge NIC is
    /// hot-plugged: a published port reaches it, and a network connected later gets its NIC too; without
    /// templates only a container with no network is offered the cached VM), in the container's cgroup,
    /// at a container's priority;
    /// `--network container:ID` runs in that VM; `docker rm` removes the entry with the container; what a
    /// killed entry leaves is removed by the next create.
    /// </summary>
    [Fact]
    public async Task With_a_vm_cache_a_container_takes_a_warm_vm_and_its_bridge_nic_is_hot_plugged()
    {
        docker.RequireRunning();
        var before = CliVmCacheEntries.In(docker.RuntimeRoot);
        string? id = null;
        var second = "srt-net-" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            // no entry is ready: the first container gets a VM of its own, and its create spawns the entry
            var first = await docker.Docker("run", "--rm", "--runtime", DockerDaemon.CachedRuntime, LocalImage.Reference, "echo", "first");
            Assert.Equal("first\n", first.Ok().Stdout);
            var entry = Assert.Single(CliVmCacheEntries.In(docker.RuntimeRoot).Except(before));
            await CliVmCacheEntries.WaitReadyAsync(entry);
            int vm = CliVmCacheEntries.RecordedPid(entry, "hypervisor");
            Assert.All(ProcessProbe.ThreadNices(CliVmCacheEntries.RecordedPid(entry, "relay")).Concat(ProcessProbe.ThreadNices(vm)), nice => Assert.Equal(19, nice));

            // claims that do not hold up are refused, and the entry stays ready
            Assert.StartsWith("no: ", CliVmCacheEntries.Claim(entry, "not json"));
            Assert.StartsWith("no: ", CliVmCacheEntries.Claim(entry, "{\"container\":\"../x\"}"));
            Assert.StartsWith("no: ", CliVmCacheEntries.Claim(entry, "{\"container\":\"srt-nobody\"}"));
            Assert.Equal("created", CliVmCacheEntries.Status(entry));

            // Without templates the cached VM (a cold boot) has no free port for a NIC: a container on the
            // bridge is not offered to it, and one without a network takes it.
            if (TestEnvironment.TemplatesOff)
            {
                Assert.Equal("bridged\n", (await docker.Docker("run", "--rm", "--runtime", DockerDaemon.CachedRuntime, LocalImage.Reference, "echo", "bridged")).Ok().Stdout);
                Assert.Equal("created", CliVmCacheEntries.Status(entry));
            }
            string[] network = TestEnvironment.TemplatesOff ? ["--network", "none"] : ["-p", "8081:80"];
            id = (await docker.Docker(["run", "-d", "--runtime", DockerDaemon.CachedRuntime, .. network, LocalImage.Reference,
                "sh", "-c", "busybox mkdir -p /www && echo served-from-the-cached-vm > /www/index.html && exec busybox httpd -f -p 80 -h /www"])).Ok().Stdout.Trim();
            Assert.Equal(id, CliVmCacheEntries.ClaimedBy(entry));
            Assert.True(ProcessProbe.IsRunning(vm), "the cached VM runs the container");
            Assert.Contains(id, File.ReadAllText($"/proc/{vm}/cgroup"));
            Assert.All(ProcessProbe.ThreadNices(vm), nice => Assert.True(nice < 19, $"the claimed VM's QEMU thread at nice {nice}"));
            if (!TestEnvironment.TemplatesOff)
            {
                var fetch = await docker.FetchAsync("127.0.0.1:8081", TimeSpan.FromSeconds(60));
                Assert.True(fetch.ExitCode == 0, $"wget http://127.0.0.1:8081/ in {docker.NetworkNamespace}: {fetch.Stderr}");
                Assert.Equal("served-from-the-cached-vm\n", fetch.Stdout);
                var address = (await docker.Docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", id)).Ok().Stdout.Trim();
                Assert.Contains($"inet {address}/16", (await docker.Docker("exec", id, "busybox", "ip", "-4", "-o", "addr", "show", "eth0")).Ok().Stdout);
                // docker network connect: the entry, which holds the VM, follows the container's namespace and plugs the NIC
                (await docker.Docker("network", "create", "--subnet", "10.90.0.0/24", second)).Ok();
                (await docker.Docker("network", "connect", second, id)).Ok();
                var plugged = await docker.Docker("exec", id, "busybox", "timeout", "60", "sh", "-c",
                    "until busybox ip -o -4 addr | busybox grep -q 'inet 10.90.0.'; do busybox sleep 0.05; done");
                Assert.True(plugged.ExitCode == 0, "the connected network's interface did not come: " + plugged.Stderr + File.ReadAllText(Path.Combine(entry, "relay.log")));
            }
            // a container sharing its network runs in the same (cached) VM
            var joined = await Run("--network", "container:" + id, LocalImage.Reference, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1/");
            Assert.Equal("served-from-the-cached-vm\n", joined.Ok().Stdout);
            // the claim topped the cache up again
            var next = Assert.Single(CliVmCacheEntries.In(docker.RuntimeRoot).Except(before).Except([entry]));

            (await docker.Docker("rm", "-f", id)).Ok();
            await HostLeaks.AssertGoneAsync(id, docker.RuntimeRoot, TimeSpan.FromSeconds(60));
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(vm) && !Directory.Exists(entry), $"the cached VM (pid {vm}) and its entry {entry} gone with the container");
            Assert.False(Directory.Exists("/sys/fs/cgroup/sandboxrt-vm-cache/" + Path.GetFileName(entry)), "the entry's waiting cgroup removed");
            id = null;

            // an entry killed while it waits leaves its VM running: the next create cannot claim it, boots a
            // VM of its own, and its top-up removes what the dead entry left
            await CliVmCacheEntries.WaitReadyAsync(next);
            int killed = CliVmCacheEntries.RecordedPid(next, "relay"), orphan = CliVmCacheEntries.RecordedPid(next, "hypervisor");
            SandboxRt.Interop.ChildProcesses.Signal(killed, 9);
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(killed), $"the killed entry {killed} gone");
            Assert.True(ProcessProbe.IsRunning(orphan), "the killed entry's QEMU outlives it until a create cleans up");
            var after = await docker.Docker("run", "--rm", "--runtime", DockerDaemon.CachedRuntime, LocalImage.Reference, "echo", "after");
            Assert.Equal("after\n", after.Ok().Stdout);
            await Condition.WaitAsync(() => !ProcessProbe.IsRunning(orphan) && !Directory.Exists(next), $"the dead entry's QEMU (pid {orphan}) and directory {next} removed");
            Assert.False(Directory.Exists("/sys/fs/cgroup/sandboxrt-vm-cache/" + Path.GetFileName(next)), "the dead entry's cgroup removed");
        }
        finally
        {
            if (id is not null)
                await docker.Docker("rm", "-f", id);
            await docker.Docker("network", "rm", second); // made only with templates
            await CliVmCacheEntries.StopAsync(docker.RuntimeRoot, except: before);
        }
    }
}
