using System.Text;

namespace SandboxRt.Agent.Boot;

/// <summary>
/// The OEM strings (structure type 11) of an SMBIOS structure table, as the kernel exports the whole table
/// at /sys/firmware/dmi/tables/DMI (drivers/firmware/dmi_scan.c, CONFIG_DMI: no dmi-sysfs module needed).
/// Layout (DMTF DSP0134 6.1): each structure is a header (type, length, 16-bit handle), the rest of its
/// formatted area (length counts the header), then its string set: NUL-terminated strings ending in one
/// more NUL, or two NULs when it has none. Type 11's formatted area holds the count; type 127 ends the
/// table. A malformed table ends the walk with what was found so far.
/// </summary>
internal static class SmbiosOemStrings
{
    private const byte OemStrings = 11, EndOfTable = 127;

    public static IReadOnlyList<string> Read(ReadOnlySpan<byte> table)
    {
        var found = new List<string>();
        int offset = 0;
        while (offset + 4 <= table.Length)
        {
            byte type = table[offset], length = table[offset + 1];
            int strings = offset + length;
            if (length < 4 || strings > table.Length)
                break;
            int end = strings;
            while (end + 1 < table.Length && !(table[end] == 0 && table[end + 1] == 0))
                end++;
            if (end + 1 >= table.Length)
                break;
            if (type == OemStrings && length >= 5 && end > strings)
            {
                var set = table[strings..end];
                int count = table[offset + 4];
                foreach (var range in set.Split((byte)0))
                {
                    if (count-- == 0)
                        break;
                    found.Add(Encoding.ASCII.GetString(set[range]));
                }
            }
            if (type == EndOfTable)
                break;
            offset = end + 2;
        }
        return found;
    }
}
