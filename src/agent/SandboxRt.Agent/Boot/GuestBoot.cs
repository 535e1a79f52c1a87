// PID 1 start-up.
//
// The kernel execs /init (this binary) with the console as stdio, from the initramfs or from the host's
// read-only root image on virtio-pmem (the configuration's "image", mounted with DAX). Everything that
// runs once here is slow under TCG (code is translated the first time it runs), so start-up does the
// minimum in a fixed order and measures itself:
//   0. make the root pivotable: bind-mount the initramfs root onto a directory, move that mount over
//      "/" and chroot into it. The initramfs itself is the root of the mount tree and can never be
//      pivot_root'ed away; a root with a parent mount can, so containers get a real pivot_root
//      (after which nothing of the guest stays reachable) instead of chroot. A read-only image root
//      is pivotable already; the same bind does no harm there (the image has the /.root directory),
//   1. mount /proc, /sys, /dev, /dev/pts, /dev/shm, /run, /tmp and cgroup2,
//   2. load the image's kernel modules (virtio transports, console, vsock, 9p, virtio-fs, overlay, ext4),
//   3. read the sandbox's agent token from the firmware (QEMU's fw_cfg or, with Cloud Hypervisor, the
//      SMBIOS OEM strings; Boot/AgentTokenSource.cs): no token, no service,
//   4. start reaping children (PID 1 inherits every orphan),
//   5. in a template VM only (sandboxrt.warmup=1), build and remove one container (Boot/TemplateWarmUp.cs),
//   6. pick the channel (vsock device, else the virtio-serial port) and serve gRPC on it, to callers
//      that present the token first (Transport/AgentAuthentication.cs).
// PID 1 must never exit: the kernel would panic. If start-up fails the agent logs why and powers the
// VM off, so that the host sees QEMU exit and reports the console lines that say what happened.
using SandboxRt.Agent.Containers;
using SandboxRt.Agent.Transport;
using SandboxRt.Interop;

namespace SandboxRt.Agent.Boot;

internal static class GuestBoot
{
    public static async Task<int> RunAsync()
    {
        var facts = new BootFacts { AgentStart = SafeUptime() };
        try
        {
            SystemMounts.MakeRootPivotable();
            SystemMounts.MountAll();
            var options = KernelCommandLine.Read();
            AgentLog.Debug = options.Debug;
            AgentLog.Info($"sandboxrt-agent {AgentVersion.Value} started as PID 1 at {facts.AgentStart.TotalMilliseconds:F0} ms");
            AgentLog.Info($"root file system: {SystemMounts.DescribeRoot()}");
            ModuleLoader.LoadAll(facts.LoadedModules);
            var tokenWatch = System.Diagnostics.Stopwatch.StartNew();
            var (token, tokenSource) = await AgentTokenSource.ReadFirmwareAsync(TimeSpan.FromSeconds(5));
            AgentLog.Info($"agent token read from {tokenSource} in {tokenWatch.Elapsed.TotalMilliseconds:F1} ms");
            Network.GuestNetwork.BringUpLoopback();
            var reaper = ChildReaper.Start();
            var containers = new ContainerManager(reaper, new EventBus());
            if (options.WarmUp)
                await TemplateWarmUp.RunAsync(containers);
            facts.SystemReady = BootClock.Now;

            var channel = await ChannelSelector.SelectAsync(options, TimeSpan.FromSeconds(10));
            await using var server = await AgentServer.StartAsync(channel, facts, token, containers);
            facts.Serving = BootClock.Now;
            AgentLog.Info($"serving {channel.Name} on {channel.EndPoint} at {facts.Serving.TotalMilliseconds:F0} ms " +
                          $"(system ready at {facts.SystemReady.TotalMilliseconds:F0} ms)");
            await Task.Delay(Timeout.Infinite);
            return 0;
        }
        catch (Exception e)
        {
            AgentLog.Error($"fatal: {e}");
            AgentLog.Error("powering off");
            try
            {
                Power.PowerOff();
            }
            catch (Exception off)
            {
                AgentLog.Error(off.Message);
            }
            Thread.Sleep(Timeout.Infinite);
            return 1;
        }
    }

    private static TimeSpan SafeUptime()
    {
        try
        {
            return BootClock.Now;
        }
        catch (SyscallException)
        {
            return TimeSpan.Zero;
        }
    }
}
