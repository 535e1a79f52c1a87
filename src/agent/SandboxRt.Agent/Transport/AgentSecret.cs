namespace SandboxRt.Agent.Transport;

/// <summary>
/// The agent token every new connection must present (see AgentAuthentication). It is the one read from
/// the firmware at boot (fw_cfg or the SMBIOS OEM strings), until the host replaces it: a VM restored
/// from a template booted with the template's token, which every clone shares, and the host's first call
/// to a clone (ReseedGuest) gives it the sandbox's own. Connections already authenticated are not affected.
/// </summary>
internal sealed class AgentSecret(byte[] initial)
{
    private byte[] _value = initial;

    public byte[] Current => Volatile.Read(ref _value);

    public void Replace(byte[] token)
    {
        if (token.Length != Protocol.AgentAuthPreamble.TokenLength)
            throw new ArgumentException($"agent_token: {token.Length} bytes, not {Protocol.AgentAuthPreamble.TokenLength}");
        Volatile.Write(ref _value, (byte[])token.Clone());
    }
}
