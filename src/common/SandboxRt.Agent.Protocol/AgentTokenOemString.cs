namespace SandboxRt.Agent.Protocol;

/// <summary>
/// The agent token as an SMBIOS OEM string (structure type 11), for a hypervisor without QEMU's fw_cfg:
/// Cloud Hypervisor writes the strings given in vm.create's <c>platform.oem_strings</c> into the guest's
/// SMBIOS table, which the guest kernel shows root-only at /sys/firmware/dmi/tables/DMI. OEM strings are
/// text (NUL ends each one), so the 32 bytes travel as lower-case hex after a fixed prefix.
/// </summary>
public static class AgentTokenOemString
{
    public const string Prefix = "io.sandboxrt.agent-token=";

    public static string Format(ReadOnlySpan<byte> token)
    {
        if (token.Length != AgentAuthPreamble.TokenLength)
            throw new ArgumentException($"the agent token must be {AgentAuthPreamble.TokenLength} bytes, not {token.Length}", nameof(token));
        return Prefix + Convert.ToHexStringLower(token);
    }

    /// <summary>The token an OEM string carries; null when the string is not ours.</summary>
    /// <exception cref="FormatException">The string has the prefix but not 64 hex digits after it.</exception>
    public static byte[]? Parse(string value)
    {
        if (!value.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var hex = value.AsSpan(Prefix.Length);
        if (hex.Length != 2 * AgentAuthPreamble.TokenLength)
            throw new FormatException($"SMBIOS OEM string {Prefix}...: {hex.Length} characters after the prefix, not {2 * AgentAuthPreamble.TokenLength} hex digits");
        return Convert.FromHexString(hex);
    }
}
