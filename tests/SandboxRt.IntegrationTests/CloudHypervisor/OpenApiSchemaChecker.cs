using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxRt.IntegrationTests.CloudHypervisor;

/// <summary>
/// Checks a request against the vendored part of Cloud Hypervisor's OpenAPI document
/// (Fixtures/cloud-hypervisor/cloud-hypervisor-openapi.json): the endpoint and method exist, a body is
/// there exactly when the endpoint takes one, and the body matches its schema (types, required fields,
/// enums, minimums, and no property the schema does not name). Enough of JSON Schema for these bodies.
/// </summary>
internal sealed class OpenApiSchemaChecker
{
    private readonly JsonObject _paths;
    private readonly JsonObject _schemas;

    private OpenApiSchemaChecker(JsonObject document)
    {
        _paths = document["paths"]!.AsObject();
        _schemas = document["components"]!["schemas"]!.AsObject();
    }

    public static OpenApiSchemaChecker Load() => new(JsonNode.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "cloud-hypervisor", "cloud-hypervisor-openapi.json")))!.AsObject());

    /// <summary>What is wrong with the request, one line per problem; empty when it conforms.</summary>
    public IReadOnlyList<string> Check(string method, string path, string body)
    {
        var errors = new List<string>();
        const string prefix = "/api/v1";
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || _paths[path[prefix.Length..]] is not JsonObject endpoint)
            return [$"{method} {path}: no such endpoint"];
        if (endpoint[method.ToLowerInvariant()] is not JsonObject operation)
            return [$"{method} {path}: the endpoint takes no {method}"];
        if (operation["requestBody"] is not JsonObject schema)
        {
            if (body.Length > 0)
                errors.Add($"{method} {path}: the endpoint takes no body, got {body.Length} bytes");
            return errors;
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return [$"{method} {path}: the body is not JSON: {e.Message}"];
        }
        Validate(node, schema, "$", errors);
        return errors;
    }

    private void Validate(JsonNode? node, JsonObject schema, string where, List<string> errors)
    {
        if (schema["$ref"] is JsonValue reference)
        {
            var name = reference.GetValue<string>().Split('/')[^1];
            if (_schemas[name] is not JsonObject target)
                errors.Add($"{where}: schema {name} is not vendored (the driver is not expected to send it)");
            else
                Validate(node, target, where, errors);
            return;
        }
        var type = (string?)schema["type"];
        switch (type)
        {
            case "object":
                if (node is not JsonObject obj)
                {
                    errors.Add($"{where}: expected an object, got {Kind(node)}");
                    return;
                }
                var properties = schema["properties"] as JsonObject ?? [];
                foreach (var required in schema["required"] as JsonArray ?? [])
                    if (!obj.ContainsKey((string)required!))
                        errors.Add($"{where}: required property '{required}' is missing");
                foreach (var (name, value) in obj)
                {
                    if (properties[name] is JsonObject property)
                        Validate(value, property, $"{where}.{name}", errors);
                    else
                        errors.Add($"{where}: unknown property '{name}'");
                }
                break;
            case "array":
                if (node is not JsonArray array)
                {
                    errors.Add($"{where}: expected an array, got {Kind(node)}");
                    return;
                }
                for (int i = 0; i < array.Count; i++)
                    Validate(array[i], schema["items"]!.AsObject(), $"{where}[{i}]", errors);
                break;
            case "string":
                if (node is not JsonValue s || s.GetValueKind() != JsonValueKind.String)
                    errors.Add($"{where}: expected a string, got {Kind(node)}");
                else if (schema["enum"] is JsonArray allowed && !allowed.Any(a => (string?)a == s.GetValue<string>()))
                    errors.Add($"{where}: '{s.GetValue<string>()}' is not one of {string.Join(", ", allowed)}");
                break;
            case "integer":
                if (node is not JsonValue n || n.GetValueKind() != JsonValueKind.Number || !n.TryGetValue<long>(out var number))
                    errors.Add($"{where}: expected an integer, got {Kind(node)}");
                else if (schema["minimum"] is JsonValue min && number < min.GetValue<long>())
                    errors.Add($"{where}: {number} is below the minimum {min}");
                break;
            case "boolean":
                if (node is not JsonValue b || b.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    errors.Add($"{where}: expected a boolean, got {Kind(node)}");
                break;
            default:
                errors.Add($"{where}: the checker does not know schema type '{type}'");
                break;
        }
    }

    private static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind().ToString();
}
