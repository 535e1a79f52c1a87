namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// The Cloud Hypervisor driver's own settings: the "cloud_hypervisor" object of the JSON file,
/// [hypervisor.clh] path in Kata's TOML (other keys of that table are the common ones).
/// </summary>
public sealed record CloudHypervisorConfig
{
    public const string Section = "cloud_hypervisor";

    /// <summary>The cloud-hypervisor binary.</summary>
    public string Path { get; set; } = "/usr/bin/cloud-hypervisor";
    /// <summary>How long one REST API request may take, and how long the API socket may take to appear after launch.</summary>
    public int ApiTimeoutSeconds { get; set; } = 10;
    /// <summary>The bound for cloud-hypervisor's own stdout and stderr (cloud-hypervisor.log, .1), and virtiofsd's log.</summary>
    public long LogMaxBytes { get; set; } = 256 * 1024;
    /// <summary>The guest's vsock CID. With hybrid vsock it is private to the VM (no host vhost device), so one value serves every sandbox.</summary>
    public long GuestCid { get; set; } = 3;

    /// <summary>Checks the section; <paramref name="fail"/> takes the field (as "cloud_hypervisor.name") and the problem.</summary>
    public void Validate(Action<string, string> fail)
    {
        if (ApiTimeoutSeconds is < 1 or > 600)
            fail("cloud_hypervisor.api_timeout_seconds", $"{ApiTimeoutSeconds} is outside 1..600");
        if (LogMaxBytes < Diagnostics.RotatingLog.MinimumBytes)
            fail("cloud_hypervisor.log_max_bytes", $"{LogMaxBytes} is below {Diagnostics.RotatingLog.MinimumBytes}");
        if (GuestCid is < 3 or > uint.MaxValue - 1)
            fail("cloud_hypervisor.guest_cid", $"{GuestCid} is outside 3..{uint.MaxValue - 1}");
    }
}
