using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// Field names as the loader sees them: a common field by its JSON name ("default_vcpus"), a driver's
/// field as "section.name" ("qemu.machine_type", "cloud_hypervisor.path"). The QEMU fields' older
/// top-level names ("machine_type", "qemu_sandbox") map to their place in the "qemu" section, so files
/// written before the split and --config-option keys keep working.
/// </summary>
public static class ConfigFieldNames
{
    public static string Canonical(string key) =>
        QemuConfig.FlatNames.TryGetValue(key, out var name) ? QemuConfig.Section + "." + name : key;

    /// <summary>The value of a field ("section.name" looks inside the section), or null.</summary>
    public static JsonNode? Get(JsonObject root, string field)
    {
        int dot = field.IndexOf('.');
        return dot < 0 ? root[field] : (root[field[..dot]] as JsonObject)?[field[(dot + 1)..]];
    }

    /// <summary>Sets a field, making its section when there is none yet.</summary>
    public static void Set(JsonObject root, string field, JsonNode? value)
    {
        int dot = field.IndexOf('.');
        if (dot < 0)
        {
            root[field] = value;
            return;
        }
        var section = field[..dot];
        if (root[section] is not JsonObject table)
        {
            if (root[section] is not null)
                throw new ConfigException($"{section}: must be an object (it holds {field})") { Field = section, Problem = "must be an object" };
            root[section] = table = new JsonObject();
        }
        table[field[(dot + 1)..]] = value;
    }

    /// <summary>Moves top-level fields written by their older names into their section; a field given both ways is an error.</summary>
    public static void LiftFlatNames(JsonObject root, string where)
    {
        foreach (var key in root.Select(p => p.Key).ToList())
        {
            var field = Canonical(key);
            if (field == key)
                continue;
            var value = root[key];
            root.Remove(key);
            if (Get(root, field) is not null)
                throw new ConfigException($"{where}: {key} and {field} are both set; keep {field}") { Field = field, Problem = $"set twice (also as {key})" };
            Set(root, field, value);
        }
    }
}
