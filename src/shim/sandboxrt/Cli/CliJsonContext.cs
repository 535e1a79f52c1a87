using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SandboxRt.Cli.Cli;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
