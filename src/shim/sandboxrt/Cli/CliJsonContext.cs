using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SandboxRt.Cli.Cli;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(List<int>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
