using System.Text;
using System.Text.Json.Nodes;

namespace SandboxRt.UnitTests.Oci;

/// <summary>
/// Mutates real config.json files into hostile ones, reproducibly from a seed: byte flips, truncation,
/// JSON values swapped for another type, deleted fields, nulls, huge numbers, huge strings, NUL bytes,
/// deep nesting, duplicate keys, comments and trailing commas. Strings it invents carry
/// <see cref="Canary"/>, so a test can check that no error message quotes them.
/// </summary>
internal sealed class ConfigMutator(int seed)
{
    public const string Canary = "c4n4ry";

    private readonly Random _random = new(seed);

    /// <summary>
    /// The seeds: the real configs written by ctr, Docker and the CRI plugin (tests/SandboxRt.UnitTests/
    /// Fixtures/oci-configs, from /work/shared/fixtures) and sandboxrt's own `spec`.
    /// </summary>
    public static IReadOnlyList<(string Name, string Json)> Seeds(string fixtureDirectory) =>
        [.. new[] { "ctr-run.json", "docker-run.json", "cri-sandbox.json", "cri-container.json" }
                .Select(f => (f, File.ReadAllText(Path.Combine(fixtureDirectory, f)))),
         ("sandboxrt-spec", SandboxRt.Oci.Validation.SpecLoader.Serialize(SandboxRt.Oci.Spec.DefaultSpec.Create()))];

    /// <summary>The name of the last mutations applied (for the report of a failing input).</summary>
    public List<string> Applied { get; } = [];

    /// <param name="pin">Applied to the mutated tree before any byte-level damage: fields a driver must keep (host paths).</param>
    public byte[] Mutate(string seedJson, Action<JsonObject>? pin = null)
    {
        Applied.Clear();
        int count = 1 + _random.Next(3);
        var node = JsonNode.Parse(seedJson)!;
        for (int i = 0; i < count; i++)
            node = MutateTree(node);
        if (node is JsonObject tree)
            pin?.Invoke(tree);
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
        // a third of the inputs also get damaged as bytes or text
        return _random.Next(3) == 0 ? MutateBytes(bytes) : bytes;
    }

    private JsonNode MutateTree(JsonNode root)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[_random.Next(nodes.Count)];
        switch (_random.Next(8))
        {
            case 0:
                Applied.Add($"type swap at {target.GetPath()}");
                return Replace(root, target, RandomValue(depth: 0));
            case 1:
                Applied.Add($"delete {target.GetPath()}");
                return Delete(root, target);
            case 2:
                Applied.Add($"null at {target.GetPath()}");
                return Replace(root, target, null);
            case 3:
                Applied.Add($"huge number at {target.GetPath()}");
                return Replace(root, target, JsonNode.Parse(HugeNumbers[_random.Next(HugeNumbers.Length)]));
            case 4:
                Applied.Add($"huge string at {target.GetPath()}");
                return Replace(root, target, JsonValue.Create(Canary + new string((char)('a' + _random.Next(26)), _random.Next(8) == 0 ? 1 << 20 : 5000)));
            case 5:
                Applied.Add($"NUL string at {target.GetPath()}");
                return Replace(root, target, JsonValue.Create($"/{Canary}\0x"));
            case 6:
                Applied.Add($"deep nesting at {target.GetPath()}");
                return Replace(root, target, Nest(_random.Next(2) == 0 ? 30 : 200));
            default:
                Applied.Add($"strings at {target.GetPath()}");
                return Replace(root, target, JsonValue.Create(OddStrings[_random.Next(OddStrings.Length)]));
        }
    }

    private static readonly string[] HugeNumbers =
        ["1e400", "-1e400", "18446744073709551616", "-9223372036854775809", "9223372036854775808", "4294967296", "65536", "-1", "1.5", "0", "-0", "1e-400", "123456789012345678901234567890"];

    private static readonly string[] OddStrings =
        ["", "/", "..", "/../../etc", "relative", "=", "A", "CAP_" + Canary, "/dev/" + Canary, "SCMP_ACT_" + Canary, "\ud800", "\u202e" + Canary, new string('/', 5000), "a\nb", Canary + "=x"];

    private byte[] MutateBytes(byte[] bytes)
    {
        switch (_random.Next(5))
        {
            case 0:
            {
                int flips = 1 + _random.Next(8);
                Applied.Add($"{flips} byte flips");
                var copy = (byte[])bytes.Clone();
                for (int i = 0; i < flips; i++)
                    copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
                return copy;
            }
            case 1:
            {
                int length = _random.Next(bytes.Length);
                Applied.Add($"truncated to {length}");
                return bytes[..length];
            }
            case 2:
                Applied.Add("comment");
                return Encoding.UTF8.GetBytes("/* made by hand */" + Encoding.UTF8.GetString(bytes));
            case 3:
            {
                Applied.Add("trailing comma");
                var text = Encoding.UTF8.GetString(bytes);
                int close = text.LastIndexOf('}');
                if (close < 0)
                    return Encoding.UTF8.GetBytes(text + ",");
                return Encoding.UTF8.GetBytes(text[..close] + ",}" + text[(close + 1)..]);
            }
            default:
                Applied.Add("duplicate key");
                var json = Encoding.UTF8.GetString(bytes);
                return Encoding.UTF8.GetBytes(json.StartsWith('{') ? "{\"root\": null, \"process\": 7," + json[1..] : "{\"root\": null, \"root\": " + json + "}");
        }
    }

    private JsonNode? RandomValue(int depth) => _random.Next(depth > 2 ? 5 : 7) switch
    {
        0 => null,
        1 => JsonValue.Create(_random.Next(2) == 0),
        2 => JsonValue.Create(_random.NextInt64(long.MinValue, long.MaxValue)),
        3 => JsonValue.Create(Canary),
        4 => JsonValue.Create(_random.NextDouble() * 1e6),
        5 => new JsonArray(RandomValue(depth + 1), RandomValue(depth + 1)),
        _ => new JsonObject { ["x" + Canary] = RandomValue(depth + 1), ["path"] = RandomValue(depth + 1) },
    };

    private static JsonNode Nest(int depth)
    {
        JsonNode node = JsonValue.Create(Canary);
        for (int i = 0; i < depth; i++)
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["n"] = node };
        return node;
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject o)
            foreach (var (_, child) in o)
                if (child is not null)
                    Collect(child, nodes);
        if (node is JsonArray a)
            foreach (var child in a)
                if (child is not null)
                    Collect(child, nodes);
    }

    private static JsonNode Replace(JsonNode root, JsonNode target, JsonNode? value)
    {
        if (target == root)
            return value ?? JsonValue.Create("null-root")!;
        switch (target.Parent)
        {
            case JsonObject o:
                o[target.GetPropertyName()] = value;
                break;
            case JsonArray a:
                a[target.GetElementIndex()] = value;
                break;
        }
        return root;
    }

    private static JsonNode Delete(JsonNode root, JsonNode target)
    {
        switch (target.Parent)
        {
            case JsonObject o:
                o.Remove(target.GetPropertyName());
                break;
            case JsonArray a:
                a.RemoveAt(a.IndexOf(target));
                break;
        }
        return root;
    }
}
