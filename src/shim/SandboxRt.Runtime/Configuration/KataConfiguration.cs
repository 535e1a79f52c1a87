// Kata Containers' configuration.toml, read with Tomlyn and mapped onto our own configuration fields.
//
// Users who move from Kata bring this file; SandboxRt reads the keys that mean something here and maps
// them onto the JSON field names the loader already validates ([hypervisor.qemu] or [hypervisor.clh]
// also chooses the driver, and its path goes to that driver's section), so one set of rules (ranges, allowed
// values) applies to both formats. Kata's semantics are kept where they differ from ours:
// `kernel_params` are appended to the built-in parameters, `default_memory` is MiB. Keys and tables that
// mean nothing here are named in a warning with their line, never silently dropped; a value of the wrong
// type is an error that names the file, line and key (KataKeyLines).
using System.Text.Json.Nodes;
using Tomlyn;
using Tomlyn.Model;

namespace SandboxRt.Runtime.Configuration;

public static class KataConfiguration
{
    /// <summary>Kata's hypervisor tables: [hypervisor.NAME] to our driver name.</summary>
    private static readonly Dictionary<string, string> HypervisorTables = new(StringComparer.Ordinal)
    {
        ["qemu"] = "qemu",
        ["clh"] = "clh",
    };

    /// <summary>Keys of every [hypervisor.NAME] table, to our common fields and the TOML type each must have.</summary>
    private static readonly (string Key, string Field, Type Type)[] CommonHypervisorKeys =
    [
        ("kernel", "kernel", typeof(string)),
        ("initrd", "initrd", typeof(string)),
        ("default_vcpus", "default_vcpus", typeof(long)),
        ("default_maxvcpus", "default_maxvcpus", typeof(long)),
        ("default_memory", "default_memory_mib", typeof(long)),
        ("default_maxmemory", "default_maxmemory_mib", typeof(long)),
        ("kernel_params", "kernel_params", typeof(string)),
        ("shared_fs", "shared_fs", typeof(string)),
        ("virtio_fs_daemon", "virtiofsd_path", typeof(string)),
        ("virtio_fs_cache", "virtio_fs_cache", typeof(string)),
        ("enable_debug", "debug", typeof(bool)),
    ];

    /// <summary>Kata key (as "table.key") to our field ("section.name" for a driver's own) and the TOML type it must have.</summary>
    private static readonly Dictionary<string, (string Field, Type Type)> Keys = BuildKeys();

    private static Dictionary<string, (string Field, Type Type)> BuildKeys()
    {
        var keys = new Dictionary<string, (string Field, Type Type)>(StringComparer.Ordinal)
        {
            ["hypervisor.qemu.path"] = ("qemu.path", typeof(string)),
            ["hypervisor.qemu.machine_type"] = ("qemu.machine_type", typeof(string)),
            ["hypervisor.qemu.image"] = ("image", typeof(string)),
            ["hypervisor.clh.image"] = ("image", typeof(string)),
            ["hypervisor.clh.path"] = ("cloud_hypervisor.path", typeof(string)),
            // Kata's VM factory: [factory] enable_template (off by default in Kata; a missing key keeps ours)
            ["factory.enable_template"] = ("qemu.vm_template", typeof(bool)),
            ["factory.template_path"] = ("qemu.template_directory", typeof(string)),
            ["factory.vm_cache_number"] = ("vm_cache_number", typeof(long)),
            ["agent.kata.enable_debug"] = ("debug", typeof(bool)),
            ["agent.kata.dial_timeout"] = ("boot_timeout_seconds", typeof(long)),
            ["runtime.enable_debug"] = ("debug", typeof(bool)),
        };
        foreach (var table in HypervisorTables.Keys)
            foreach (var (key, field, type) in CommonHypervisorKeys)
                keys[$"hypervisor.{table}.{key}"] = (field, type);
        return keys;
    }

    /// <summary>Keys that are understood but need no setting here, with why.</summary>
    private static readonly Dictionary<string, string> Implied = new(StringComparer.Ordinal)
    {
        ["runtime.sandbox_cgroup_only"] = "the VM always runs in the sandbox's host cgroup",
    };

    /// <summary>The table that holds SandboxRt's own fields (accelerator, guest_channel, jail, ...) by their JSON names.</summary>
    public const string OwnTable = "sandboxrt";

    public static bool IsToml(string path) => path.EndsWith(".toml", StringComparison.OrdinalIgnoreCase);

    /// <summary>The mapped fields, where each came from (our field to "FILE:LINE: [table] key", for errors), and the warnings.</summary>
    public sealed record Result(JsonObject Fields, IReadOnlyDictionary<string, string> Origins, IReadOnlyList<string> Warnings);

    public static Result Read(string path)
    {
        var text = File.ReadAllText(path);
        TomlTable model;
        try
        {
            model = TomlSerializer.Deserialize(text, KataTomlContext.Default.TomlTable) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new ConfigException($"{path}: invalid TOML: {e.Message}", e);
        }
        var lines = new KataKeyLines(text);
        var fields = new JsonObject();
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var warnings = new List<string>();
        SelectHypervisor(path, model, lines, fields, origins);
        foreach (var (key, value) in Flatten("", model))
        {
            var where = lines.Where(path, key);
            int dot = key.LastIndexOf('.');
            var described = dot < 0 ? key : $"[{key[..dot]}] {key[(dot + 1)..]}";
            if (key.StartsWith(OwnTable + ".", StringComparison.Ordinal))
            {
                // [sandboxrt]: our own fields by their JSON names, for what Kata's format has no key for
                var field = ConfigFieldNames.Canonical(key[(OwnTable.Length + 1)..]);
                ConfigFieldNames.Set(fields, field, ToJson(value));
                origins[field] = $"{where}: {described}";
            }
            else if (Keys.TryGetValue(key, out var target))
            {
                if (value.GetType() != target.Type)
                    throw new ConfigException($"{where}: {described}: expected {TypeName(target.Type)}, got {TypeName(value.GetType())}");
                ConfigFieldNames.Set(fields, target.Field, target.Field switch
                {
                    "kernel_params" => (string)value is { Length: > 0 } extra ? HypervisorConfig.DefaultKernelParams + " " + extra : HypervisorConfig.DefaultKernelParams,
                    "debug" => fields["debug"] is JsonValue d && d.GetValue<bool>() || (bool)value,
                    _ => ToJson(value),
                });
                origins[target.Field] = $"{where}: {described}";
            }
            else if (Implied.TryGetValue(key, out var why))
                warnings.Add($"{where}: {described} is not used: {why}");
            else
                warnings.Add($"{where}: {described} is not supported by SandboxRt; ignored");
        }
        BootOneOf(fields, origins);
        return new Result(fields, origins, warnings);
    }

    /// <summary>
    /// Kata boots either an image or an initrd, whichever the file names, and refuses both. Ours has a
    /// default for each (the image where the machine takes it): a file that names only the initrd boots it.
    /// </summary>
    private static void BootOneOf(JsonObject fields, Dictionary<string, string> origins)
    {
        bool image = origins.ContainsKey("image"), initrd = origins.ContainsKey("initrd");
        if (image && initrd && ConfigFieldNames.Get(fields, "image") is JsonValue v && v.GetValue<string>().Length > 0)
            throw new ConfigException($"{origins["image"]} and {origins["initrd"]}: a configuration boots an image or an initrd, not both (as in Kata)");
        if (initrd && !image)
            ConfigFieldNames.Set(fields, "image", JsonValue.Create(""));
    }

    /// <summary>
    /// The driver is the [hypervisor.NAME] table the file has, as in Kata (one per file); a file with
    /// none keeps the default, and [sandboxrt] hypervisor may still name one.
    /// </summary>
    private static void SelectHypervisor(string path, TomlTable model, KataKeyLines lines, JsonObject fields, Dictionary<string, string> origins)
    {
        if (!model.TryGetValue("hypervisor", out var node) || node is not TomlTable hypervisors)
            return;
        var present = hypervisors.Keys.Where(HypervisorTables.ContainsKey).ToList();
        if (present.Count > 1)
            throw new ConfigException(string.Join(" and ", present.Select(t => $"{lines.Where(path, "hypervisor." + t)}: [hypervisor.{t}]")) +
                                      ": a configuration names one hypervisor");
        if (present.Count == 1)
        {
            fields["hypervisor"] = HypervisorTables[present[0]];
            origins["hypervisor"] = $"{lines.Where(path, "hypervisor." + present[0])}: [hypervisor.{present[0]}]";
        }
    }

    /// <summary>Every leaf as ("table.sub.key", value); arrays and tables of tables count as leaves.</summary>
    private static IEnumerable<(string Key, object Value)> Flatten(string prefix, TomlTable table)
    {
        foreach (var (name, value) in table)
        {
            var key = prefix.Length == 0 ? name : prefix + "." + name;
            if (value is TomlTable sub)
                foreach (var leaf in Flatten(key, sub))
                    yield return leaf;
            else
                yield return (key, value);
        }
    }

    private static JsonNode? ToJson(object value) => value switch
    {
        TomlArray array => new JsonArray(array.Select(v => v is null ? null : ToJson(v)).ToArray()),
        string text => JsonValue.Create(text),
        long number => JsonValue.Create(number),
        bool flag => JsonValue.Create(flag),
        double real => JsonValue.Create(real),
        _ => JsonValue.Create(value.ToString()),
    };

    private static string TypeName(Type t) =>
        t == typeof(string) ? "a string" : t == typeof(long) ? "an integer" : t == typeof(bool) ? "a boolean" : t == typeof(double) ? "a number" : "a " + t.Name;
}
