using System.Text;
using SandboxRt.Agent.Boot;
using SandboxRt.Agent.Protocol;

namespace SandboxRt.Agent.UnitTests.Boot;

/// <summary>
/// Where the agent finds its token, against a fake /sys: the SMBIOS OEM strings Cloud Hypervisor writes
/// (the table laid out as its arch/src/x86_64/smbios.rs writes it: BIOS information, system information,
/// OEM strings, end of table), else QEMU's fw_cfg file, else a refusal that names both.
/// </summary>
[Trait("Tier", "unit")]
public sealed class AgentTokenSourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("srt-token-").FullName;
    private static readonly byte[] Token = Enumerable.Range(0, 32).Select(i => (byte)(0xa0 + i)).ToArray();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>One structure: header (type, length, handle), the rest of the formatted area, the string set.</summary>
    private static byte[] Structure(byte type, ushort handle, byte[] formatted, params string[] strings)
    {
        var bytes = new List<byte> { type, (byte)(4 + formatted.Length), (byte)handle, (byte)(handle >> 8) };
        bytes.AddRange(formatted);
        foreach (var s in strings)
            bytes.AddRange([.. Encoding.ASCII.GetBytes(s), 0]);
        bytes.Add(0);
        if (strings.Length == 0)
            bytes.Add(0);
        return [.. bytes];
    }

    private static byte[] CloudHypervisorTable(params string[] oemStrings)
    {
        var bios = new byte[0x14 - 4];
        bios[0] = 1; // vendor: string 1
        bios[1] = 2; // version: string 2
        var system = new byte[0x1b - 4];
        system[0] = 1;
        system[1] = 2;
        IEnumerable<byte> table = [
            .. Structure(0, 1, bios, "cloud-hypervisor", "0"),
            .. Structure(1, 2, system, "Cloud Hypervisor", "cloud-hypervisor"),
        ];
        if (oemStrings.Length > 0)
            table = table.Concat(Structure(11, 3, [(byte)oemStrings.Length], oemStrings));
        return [.. table, .. Structure(127, 4, [])];
    }

    private void WriteUnderRoot(string path, byte[] content)
    {
        var full = Path.Combine(_root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
    }

    [Fact]
    public void The_oem_strings_of_a_table_are_read_in_order_and_other_structures_strings_are_not()
    {
        Assert.Equal(["first", "second"], SmbiosOemStrings.Read(CloudHypervisorTable("first", "second")));
        Assert.Empty(SmbiosOemStrings.Read(CloudHypervisorTable()));
    }

    [Fact]
    public void A_truncated_or_malformed_table_ends_the_walk_without_throwing()
    {
        var table = CloudHypervisorTable("first");
        for (int cut = 0; cut < table.Length; cut++)
            _ = SmbiosOemStrings.Read(table.AsSpan(0, cut));
        Assert.Empty(SmbiosOemStrings.Read([11, 2, 0, 0, 0, 0])); // a length below the header's 4
    }

    [Fact]
    public async Task The_token_comes_from_the_smbios_oem_string_cloud_hypervisor_was_given()
    {
        WriteUnderRoot(AgentTokenSource.SmbiosTablePath, CloudHypervisorTable("unrelated", AgentTokenOemString.Format(Token)));
        var (token, source) = await AgentTokenSource.ReadFirmwareAsync(TimeSpan.Zero, _root);
        Assert.Equal(Token, token);
        Assert.Equal("the SMBIOS OEM strings", source);
    }

    [Fact]
    public async Task Without_an_oem_string_the_token_comes_from_fw_cfg()
    {
        WriteUnderRoot(AgentTokenSource.SmbiosTablePath, CloudHypervisorTable("unrelated")); // QEMU's q35 has a table too
        WriteUnderRoot(AgentTokenSource.FirmwarePath, Token);
        var (token, source) = await AgentTokenSource.ReadFirmwareAsync(TimeSpan.Zero, _root);
        Assert.Equal(Token, token);
        Assert.Equal("fw_cfg", source);
    }

    [Fact]
    public async Task No_token_anywhere_is_a_refusal_that_names_both_channels()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AgentTokenSource.ReadFirmwareAsync(TimeSpan.Zero, _root));
        Assert.Contains("qemu_fw_cfg/by_name/opt/io.sandboxrt/agent-token/raw", e.Message);
        Assert.Contains("dmi/tables/DMI (absent)", e.Message);
        Assert.Contains("platform.oem_strings", e.Message);
    }

    [Fact]
    public async Task A_malformed_token_string_is_an_error_that_names_the_table()
    {
        WriteUnderRoot(AgentTokenSource.SmbiosTablePath, CloudHypervisorTable(AgentTokenOemString.Prefix + "abcd"));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => AgentTokenSource.ReadFirmwareAsync(TimeSpan.Zero, _root));
        Assert.Contains("dmi/tables/DMI", e.Message);
        Assert.Contains("4 characters after the prefix, not 64 hex digits", e.Message);
    }
}
