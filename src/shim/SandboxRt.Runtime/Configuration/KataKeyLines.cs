namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// Where each key of a TOML file is written: "table.key" to its 1-based line, for errors and warnings
/// that name the line. Kata's files use plain `[table]` headers and `key = value` lines, which is all
/// this reads; a key it cannot place is reported without a line.
/// </summary>
internal sealed class KataKeyLines
{
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public KataKeyLines(string text)
    {
        string table = "";
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('[') && line.IndexOf(']') is > 0 and var end)
            {
                table = line[1..end].Trim('[', ' ').Replace("\"", "").Replace(" ", "");
                _lines.TryAdd(table, i + 1);
            }
            else if (line.Length > 0 && line[0] != '#' && line.IndexOf('=') is > 0 and var eq)
                _lines.TryAdd(table.Length == 0 ? line[..eq].Trim() : table + "." + line[..eq].Trim().Trim('"'), i + 1);
        }
    }

    /// <summary>"FILE:LINE" for a key or table, or "FILE" when it cannot be placed.</summary>
    public string Where(string file, string dottedKey) => _lines.TryGetValue(dottedKey, out var line) ? $"{file}:{line}" : file;
}
