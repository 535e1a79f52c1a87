using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// Checks a parsed JSON document against the shape of the C# model it is about to be read into, using
/// the source-generated metadata of that model (so it works under NativeAOT and follows the model as
/// fields are added). It reports, each with the JSON path of the field:
/// - a value of the wrong JSON kind ("process.args: must be an array"),
/// - a number that is not an integer or does not fit the field ("process.user.uid: must be an integer from 0 to 4294967295"),
/// - null where the model has no null (a non-nullable field, any array element, any map value),
/// - a NUL byte in a string (every string here ends up as a C string: an argument, a path, a mount
///   option, a sysctl; runc refuses them too), except in annotations, which only travel as JSON.
/// Unknown fields are skipped, as runc skips them. Values are never quoted in the problems: the document
/// may be a file someone pointed config.json at, and its content must not come back in an error.
/// </summary>
internal static class JsonShapeChecker
{
    /// <summary>Fields whose strings never become C strings.</summary>
    private const string Annotations = "annotations";

    /// <summary>Stop after this many problems: a hostile document could otherwise produce millions.</summary>
    private const int MaxProblems = 20;

    public static void Check(JsonElement element, JsonTypeInfo type, List<string> problems) =>
        Visit(element, type, "", allowNul: false, problems);

    private static void Visit(JsonElement element, JsonTypeInfo type, string path, bool allowNul, List<string> problems)
    {
        if (problems.Count >= MaxProblems)
            return;
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (Expect(element, JsonValueKind.Object, "an object", path, problems))
                    VisitObject(element, type, path, allowNul, problems);
                break;
            case JsonTypeInfoKind.Enumerable:
                if (Expect(element, JsonValueKind.Array, "an array", path, problems))
                {
                    var elementType = type.Options.GetTypeInfo(type.ElementType!);
                    int i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        var itemPath = $"{path}[{i++}]";
                        if (item.ValueKind == JsonValueKind.Null)
                            Add(problems, itemPath, "must not be null");
                        else
                            Visit(item, elementType, itemPath, allowNul, problems);
                    }
                }
                break;
            case JsonTypeInfoKind.Dictionary:
                if (Expect(element, JsonValueKind.Object, "an object", path, problems))
                {
                    var valueType = type.Options.GetTypeInfo(type.ElementType!);
                    int i = 0;
                    foreach (var entry in element.EnumerateObject())
                    {
                        var entryPath = Join(path, SpecField.Key(entry.Name, i++));
                        if (!allowNul && entry.Name.Contains('\0'))
                            Add(problems, Join(path, $"[{i - 1}]"), "a key contains a NUL byte");
                        else if (entry.Value.ValueKind == JsonValueKind.Null)
                            Add(problems, entryPath, "must not be null");
                        else
                            Visit(entry.Value, valueType, entryPath, allowNul, problems);
                    }
                }
                break;
            default:
                VisitValue(element, Nullable.GetUnderlyingType(type.Type) ?? type.Type, path, allowNul, problems);
                break;
        }
    }

    private static void VisitObject(JsonElement element, JsonTypeInfo type, string path, bool allowNul, List<string> problems)
    {
        foreach (var member in element.EnumerateObject())
        {
            var property = FindProperty(type, member.Name);
            if (property is null)
                continue; // unknown fields are ignored, as runc ignores them
            var memberPath = Join(path, property.Name);
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                if (!AcceptsNull(property))
                    Add(problems, memberPath, "must not be null");
                continue;
            }
            Visit(member.Value, type.Options.GetTypeInfo(property.PropertyType), memberPath,
                  allowNul || property.Name == Annotations, problems);
        }
    }

    private static JsonPropertyInfo? FindProperty(JsonTypeInfo type, string name)
    {
        foreach (var property in type.Properties)
            if (property.Name == name && property.Set is not null)
                return property;
        return null;
    }

    /// <summary>Nullable value types, and reference types the model declares nullable (string?, List&lt;T&gt;?).</summary>
    private static bool AcceptsNull(JsonPropertyInfo property) =>
        Nullable.GetUnderlyingType(property.PropertyType) is not null
        || (!property.PropertyType.IsValueType && property.IsSetNullable);

    private static void VisitValue(JsonElement element, Type type, string path, bool allowNul, List<string> problems)
    {
        if (type == typeof(string))
        {
            if (Expect(element, JsonValueKind.String, "a string", path, problems) && !allowNul && element.GetString()!.Contains('\0'))
                Add(problems, path, "contains a NUL byte");
        }
        else if (type == typeof(bool))
        {
            if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                Add(problems, path, "must be true or false");
        }
        else if (IntegerRange(type) is var (min, max))
        {
            if (!Expect(element, JsonValueKind.Number, "a number", path, problems))
                return;
            bool fits = min < 0
                ? element.TryGetInt64(out long signed) && signed >= min && signed <= (long)max
                : element.TryGetUInt64(out ulong unsigned) && unsigned <= max;
            if (!fits)
                Add(problems, path, $"must be an integer from {min} to {max}");
        }
        else if (type == typeof(double) || type == typeof(float))
        {
            if (Expect(element, JsonValueKind.Number, "a number", path, problems) && !double.IsFinite(element.GetDouble()))
                Add(problems, path, "must be a finite number");
        }
        // other leaf types (JsonElement, enums as strings) are left to the serializer's own checks
    }

    private static (long Min, ulong Max)? IntegerRange(Type type) =>
        type == typeof(byte) ? (byte.MinValue, byte.MaxValue)
        : type == typeof(sbyte) ? (sbyte.MinValue, (ulong)sbyte.MaxValue)
        : type == typeof(ushort) ? (ushort.MinValue, ushort.MaxValue)
        : type == typeof(short) ? (short.MinValue, (ulong)short.MaxValue)
        : type == typeof(uint) ? (uint.MinValue, uint.MaxValue)
        : type == typeof(int) ? (int.MinValue, (ulong)int.MaxValue)
        : type == typeof(ulong) ? (0, ulong.MaxValue)
        : type == typeof(long) ? (long.MinValue, (ulong)long.MaxValue)
        : null;

    private static bool Expect(JsonElement element, JsonValueKind kind, string what, string path, List<string> problems)
    {
        if (element.ValueKind == kind)
            return true;
        Add(problems, path, $"must be {what}");
        return false;
    }

    private static string Join(string path, string name) =>
        path.Length == 0 ? name : name.StartsWith('[') ? path + name : path + "." + name;

    private static void Add(List<string> problems, string path, string text)
    {
        if (problems.Count < MaxProblems)
            problems.Add($"{(path.Length == 0 ? "the document" : path)}: {text}");
    }
}
