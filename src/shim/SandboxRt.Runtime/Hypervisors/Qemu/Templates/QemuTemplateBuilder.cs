using System.Text.Json.Nodes;
using SandboxRt.Interop;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Configuration;
using SandboxRt.Agent.Protocol;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.Runtime.Hypervisors.Qemu.Templates;

/// <summary>
/// Builds a template: boots a VM in the template layout (RAM in a shared file, no share, no NICs, root
/// ports free) with a token of its own and the agent's warm-up on (sandboxrt.warmup=1: it builds and
/// removes a container before it serves), waits until its agent serves, has one host session with it
/// (the calls a clone's host makes first) and waits until the agent has seen that end, lets the guest's
/// freed pages be reported, pauses the VM and saves its device state with x-ignore-shared (the RAM
/// stays in the file, as it is). The build happens in "KEY.build-PID" and is renamed to KEY when complete.
/// </summary>
internal static class QemuTemplateBuilder
{
    private static readonly TimeSpan MigrationPoll = TimeSpan.FromMilliseconds(5);

    public static async Task<QemuTemplate> BuildAsync(QemuHypervisor hypervisor, HypervisorConfig config, VmLaunchRequest request, QemuGuestRoot root,
        QemuTemplateStore store, string key, string description, CancellationToken cancellationToken)
    {
        await RemoveAbandonedBuildsAsync(store, key);
        var build = Path.Combine(store.Directory, $"{key}.build-{Environment.ProcessId}");
        Storage.PrivateFiles.RemoveTree(build);
        Storage.PrivateFiles.CreateDirectory(build);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var token = AgentToken.Create(build);
            // QEMU's user owns the RAM file, not its directory (see QemuHypervisor): it can write the one file and add nothing.
            var ramDirectory = Path.Combine(build, "ram.d");
            Storage.PrivateFiles.CreateDirectory(ramDirectory);
            var ram = Path.Combine(ramDirectory, QemuTemplate.RamName);
            var vm = await hypervisor.LaunchCoreAsync(new VmLaunchRequest($"template-{key}", Path.Combine(build, "vm"), config)
            {
                Vcpus = request.Vcpus,
                MemoryMib = request.MemoryMib,
                MaxVcpus = request.MaxVcpus,
                MaxMemoryMib = request.MaxMemoryMib,
                AgentTokenFile = token.FilePath,
                HypervisorReadableFiles = [token.FilePath],
            }, root, TemplateUse.Build(ram), cancellationToken);
            // Whoever finds this build abandoned (its builder died: the key's lock is free) stops this QEMU.
            Storage.PrivateFiles.WriteAllText(Path.Combine(build, HypervisorIdentityName), System.Text.Json.JsonSerializer.Serialize(
                State.ProcessIdentity.Of(vm.Pid) ?? new State.ProcessIdentity(vm.Pid, 0), State.StateJsonContext.Default.ProcessIdentity));
            TimeSpan booted;
            string warmUp;
            TimeSpan session;
            await using (vm)
            {
                booted = await WaitUntilServingAsync(vm, TimeSpan.FromSeconds(config.BootTimeoutSeconds), cancellationToken);
                (warmUp, session) = config.Qemu.TemplateWarmUp
                    ? (WarmUpOutcome(vm.ConsoleLogPath), await WarmUpSessionAsync(vm, token, TimeSpan.FromSeconds(config.BootTimeoutSeconds), cancellationToken))
                    : ("off (qemu.template_warm_up)", TimeSpan.Zero);
                if (config.Qemu.FreePageReporting)
                    await WaitForFreePageReportsAsync(ram, cancellationToken);
                await SaveAsync(vm.QmpSocket, Path.Combine(build, QemuTemplate.StateName), cancellationToken);
            }
            // Back to root's: QEMU's user had the RAM file (and the token) while it ran.
            var saved = Path.Combine(build, QemuTemplate.RamName);
            if (new FileInfo(ram).LinkTarget is not null)
                throw new HypervisorException($"{ram}: not the regular file QEMU was given");
            File.Move(ram, saved);
            FileSystem.Chown(saved, 0, 0);
            File.SetUnixFileMode(saved, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            FileSystem.Chown(token.FilePath, 0, 0);
            Directory.Delete(ramDirectory);
            Storage.PrivateFiles.RemoveTree(Path.Combine(build, "vm"));
            File.Delete(Path.Combine(build, HypervisorIdentityName)); // its QEMU is gone
            var info = new JsonObject
            {
                ["key"] = key,
                ["built"] = DateTimeOffset.UtcNow.ToString("o"),
                ["agent_serving_ms"] = (long)booted.TotalMilliseconds,
                ["warm_up"] = warmUp,
                ["warm_up_session_ms"] = (long)session.TotalMilliseconds,
                ["build_ms"] = watch.ElapsedMilliseconds,
                ["vcpus"] = request.Vcpus,
                ["memory_mib"] = request.MemoryMib,
                ["inputs"] = description,
            };
            Storage.PrivateFiles.WriteAllText(Path.Combine(build, QemuTemplate.InfoName), info.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            var final = Path.Combine(store.Directory, key);
            Storage.PrivateFiles.RemoveTree(final); // an incomplete one (a crash mid-rename cannot happen: rename is atomic)
            Directory.Move(build, final);
            store.RemoveStale(); // templates of a guest image or QEMU that has since changed
            return new QemuTemplate(key, final);
        }
        catch
        {
            Storage.PrivateFiles.RemoveTree(build);
            throw;
        }
    }

    private const string HypervisorIdentityName = "qemu.json";
    /// <summary>The agent's console line once it serves (Boot/GuestBoot.cs: "serving CHANNEL on ENDPOINT at N ms").</summary>
    private const string ServingMarker = "sandboxrt-agent info: serving virtio-serial on ";
    private static readonly TimeSpan ConsolePoll = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Waits for the agent's "serving" console line (logged after the agent's own warm-up). With
    /// qemu.template_warm_up (the default) the first attachment to the agent's channel is the builder's
    /// warm-up session (<see cref="WarmUpSessionAsync"/>), and the VM is saved only once the agent has seen
    /// it end; without it no host attaches before the save. A template saved with a host session open (or
    /// just closed, the guest not yet told) would greet no clone's host, whose attachment the guest could
    /// take for the old one. So the agent in every clone is waiting for its next host.
    /// </summary>
    private static Task<TimeSpan> WaitUntilServingAsync(QemuVirtualMachine vm, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitForConsoleLineAsync(vm, ServingMarker, "its agent served", "agent did not serve", timeout, cancellationToken);

    /// <summary>
    /// Waits until the template VM's console has a line with <paramref name="marker"/> and returns how long
    /// that took; fails, with the console's last lines, when the VM stops first or after <paramref name="timeout"/>
    /// (boot_timeout_seconds): "the template VM stopped before <paramref name="awaited"/>", "the template
    /// VM's <paramref name="missed"/> within N s".
    /// </summary>
    private static async Task<TimeSpan> WaitForConsoleLineAsync(QemuVirtualMachine vm, string marker, string awaited, string missed, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (Diagnostics.LogTail.Read(vm.ConsoleLogPath, 400, 256 * 1024).Any(l => l.Contains(marker, StringComparison.Ordinal)))
                return watch.Elapsed;
            if (vm.Exited.IsCompleted)
                throw new HypervisorException($"the template VM stopped before {awaited}: {await vm.Exited}; console: {ConsoleTail(vm)}");
            if (watch.Elapsed > timeout)
                throw new HypervisorException($"the template VM's {missed} within {timeout.TotalSeconds:F0} s (boot_timeout_seconds); console: {ConsoleTail(vm)}");
            await Task.Delay(ConsolePoll, cancellationToken);
        }
    }

    private static string ConsoleTail(QemuVirtualMachine vm) => string.Join(" | ", Diagnostics.LogTail.Read(vm.ConsoleLogPath, 10));

    /// <summary>
    /// One host session before the save, as a clone's host will have: connect and authenticate, ReseedGuest
    /// (the template's own token again), CreateSandbox with no share; then detach, and wait until the agent
    /// says it has seen the host go (SerialHandshake.HostDetachedLog). Not GuestDetails: it reads the
    /// guest's boot_id, which Linux makes on its first read, and made before the save it would be every
    /// clone's (it was, from 2026-12-06 04:00 to 12:15: `make bench`'s clones section counted 1 boot id in 20).
    /// Its connection handling (Kestrel's HTTP/2, the gRPC layer, the thread pool, the run-time types of
    /// NativeAOT) then starts initialised in every clone; saved before the agent noticed the detach, a
    /// clone's first host could be taken for the old one (see <see cref="WaitUntilServingAsync"/>).
    /// </summary>
    private static async Task<TimeSpan> WarmUpSessionAsync(QemuVirtualMachine vm, AgentToken token, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var connector = new AuthenticatingConnector(vm.AgentConnector, token);
        var (stream, _) = await BootWaiter.WaitForAgentAsync(vm, connector, timeout, cancellationToken);
        using (var agent = new AgentClient(connector, stream))
        {
            await agent.ReseedGuestAsync(token.CopySecret(), cancellationToken);
            await agent.CreateSandboxAsync("template", "", [], "", "", cancellationToken);
        }
        await WaitForConsoleLineAsync(vm, SerialHandshake.HostDetachedLog, "its agent saw the warm-up session end", "agent did not see the warm-up session end", timeout, cancellationToken);
        return watch.Elapsed;
    }

    /// <summary>The agent's console lines about its warm-up (agent: Boot/TemplateWarmUp.cs), which it logs before it serves.</summary>
    private const string WarmUpMarker = "template warm-up";

    /// <summary>
    /// What the agent said about its warm-up: "a container built and removed in N ms", or why it failed (the
    /// template is then saved without it, and is slower to clone from, not wrong). Kept in template.json.
    /// </summary>
    private static string WarmUpOutcome(string consoleLog)
    {
        var lines = Diagnostics.LogTail.Read(consoleLog, 400, 256 * 1024).Where(l => l.Contains(WarmUpMarker, StringComparison.Ordinal)).ToList();
        if (lines.Count == 0)
            return "none: the guest agent logged no warm-up";
        return string.Join(" | ", lines.Select(l => l[(l.IndexOf(WarmUpMarker, StringComparison.Ordinal))..]));
    }

    /// <summary>The guest reports free pages 2 s after it freed them (the kernel's PAGE_REPORTING_DELAY); a quiet period longer than that.</summary>
    private static readonly TimeSpan ReportsSettled = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReportsLimit = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ReportsPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Waits until the guest has given back what it freed while booting (the unpacked initramfs archive,
    /// the kernel's init memory, freed heap): its balloon's free page reports punch holes into the RAM
    /// file, so the file's data shrinks, then stays. Saved after that, every clone copies only what the
    /// guest still holds. The wait ends when the data has not changed for <see cref="ReportsSettled"/>,
    /// or after <see cref="ReportsLimit"/> (a guest without page reporting: the template is as good as
    /// one built without the balloon).
    /// </summary>
    private static async Task WaitForFreePageReportsAsync(string ramFile, CancellationToken cancellationToken)
    {
        using var ram = File.OpenHandle(ramFile, FileMode.Open, FileAccess.Read); // opened once: the holes punched later show through it
        long DataBytes() => SparseFile.DataRanges(ram, ramFile).Sum(r => r.Length);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var changed = TimeSpan.Zero;
        long last = DataBytes();
        while (watch.Elapsed - changed < ReportsSettled && watch.Elapsed < ReportsLimit)
        {
            await Task.Delay(ReportsPoll, cancellationToken);
            long now = DataBytes();
            if (now != last)
                (last, changed) = (now, watch.Elapsed);
        }
    }

    /// <summary>
    /// Builds left by a builder that died (killed mid-build: its key's lock is free while the build
    /// directory is still there): their QEMU is stopped by its recorded identity (never a pid reused
    /// since) and their directory removed. Called with <paramref name="heldKey"/>'s lock held (its
    /// builds are all abandoned), and before every launch with templates on for the others, whose lock
    /// is tried once: a build in progress keeps it.
    /// </summary>
    public static async Task RemoveAbandonedBuildsAsync(QemuTemplateStore store, string? heldKey)
    {
        if (!Directory.Exists(store.Directory))
            return;
        foreach (var abandoned in Directory.EnumerateDirectories(store.Directory, "*.build-*"))
        {
            var key = Path.GetFileName(abandoned)[..Path.GetFileName(abandoned).IndexOf('.')];
            FileLock? held = null;
            try
            {
                if (key != heldKey)
                    held = FileLock.Acquire(store.LockFile(key), TimeSpan.Zero);
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
                continue; // being built now
            }
            using (held)
            {
                try
                {
                    var identity = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(abandoned, HypervisorIdentityName)), State.StateJsonContext.Default.ProcessIdentity);
                    var vmDirectory = Path.Combine(abandoned, "vm");
                    if (identity is not null)
                        await DetachedVm.StopAsync(VmmRecord.Load(vmDirectory), identity, [], vmDirectory, TimeSpan.FromSeconds(2));
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
                {
                    // nothing recorded: it never got as far as starting QEMU
                }
                Storage.PrivateFiles.RemoveTree(abandoned);
            }
        }
    }

    /// <summary>Pauses the VM and writes its device state (not its RAM: x-ignore-shared) to <paramref name="stateFile"/>.</summary>
    private static async Task SaveAsync(string qmpSocket, string stateFile, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(TimeSpan.FromSeconds(60));
        var ct = bounded.Token;
        await using var qmp = await QmpClient.ConnectAsync(qmpSocket, ct);
        await qmp.ExecuteAsync("stop", cancellationToken: ct); // the RAM file must not change after the state is taken
        await qmp.ExecuteAsync("migrate-set-capabilities", QemuRestore.IgnoreShared(), ct);
        using (var state = Storage.PrivateFiles.OpenHandle(stateFile, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            await qmp.SendDescriptorAsync("template-state", state, ct);
        await qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = "fd:template-state" }, ct);
        while (true)
        {
            var migration = await qmp.ExecuteAsync("query-migrate", cancellationToken: ct);
            var status = migration?["status"]?.GetValue<string>();
            if (status == "completed")
                return;
            if (status is "failed" or "cancelled")
                throw new HypervisorException($"saving the template's state: migration {status}: {migration?["error-desc"]}");
            await Task.Delay(MigrationPoll, ct);
        }
    }
}
