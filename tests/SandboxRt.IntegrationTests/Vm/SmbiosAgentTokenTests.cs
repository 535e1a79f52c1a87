using SandboxRt.IntegrationTests.Support;
using SandboxRt.Runtime.Agent;
using SandboxRt.Runtime.Channels;
using SandboxRt.Runtime.Hypervisors;
using SandboxRt.Runtime.Sandboxes;

namespace SandboxRt.IntegrationTests.Vm;

/// <summary>
/// The agent of a real guest kernel takes its token from the SMBIOS OEM strings when there is no fw_cfg
/// file: the channel the Cloud Hypervisor driver uses (platform.oem_strings in vm.create). Cloud
/// Hypervisor cannot run here (no KVM), so QEMU stands in: it gets the same OEM string with -smbios
/// type=11 (SeaBIOS installs QEMU's SMBIOS tables, the kernel exports them at
/// /sys/firmware/dmi/tables/DMI) and no -fw_cfg token. This puts the token on QEMU's command line, which
/// is fine for a test's throwaway token and is what the Cloud Hypervisor driver never does.
/// </summary>
[Trait("Tier", "vm")]
public sealed class SmbiosAgentTokenTests
{
    [Fact]
    public async Task Without_fw_cfg_the_agent_serves_the_token_from_the_smbios_oem_strings()
    {
        TestEnvironment.RequireVmPrerequisites();
        var cancellationToken = TestContext.Current.CancellationToken;
        using var scratch = new ScratchDirectory("srt-vm");
        Directory.CreateDirectory(scratch.Combine("token"));
        var token = AgentToken.Create(scratch.Combine("token"));
        var config = VmTestConfig.Load();
        config.Qemu.VmTemplate = false;
        config.Qemu.ExtraArgs.AddRange(["-smbios", "type=11,value=" + token.OemString()]);
        var request = new VmLaunchRequest("smbios-" + Guid.NewGuid().ToString("N")[..8], scratch.Combine("state"), config) { AllowTemplate = false };

        await using var vm = await HypervisorFactory.Create(config).LaunchAsync(request, cancellationToken);
        Assert.DoesNotContain("-fw_cfg", File.ReadAllText($"/proc/{vm.Pid}/cmdline"));
        var connector = new AuthenticatingConnector(vm.AgentConnector, token);
        var (stream, _) = await BootWaiter.WaitForAgentAsync(vm, connector, TimeSpan.FromSeconds(config.BootTimeoutSeconds), cancellationToken);
        using var client = new AgentClient(connector, stream);
        var details = await client.GuestDetailsAsync(cancellationToken: cancellationToken);
        Assert.NotEmpty(details.BootId);
        // the console reaches its file through a pump: wait for the line rather than read it once
        await Condition.WaitAsync(() => File.ReadAllText(vm.ConsoleLogPath).Contains("agent token read from the SMBIOS OEM strings"),
            "the agent's console line saying it read the token from the SMBIOS OEM strings");
    }
}
