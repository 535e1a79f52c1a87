using System.Text.Json.Serialization;

namespace SandboxRt.Oci.Spec;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(Spec))]
[JsonSerializable(typeof(State))]
[JsonSerializable(typeof(Process))]
[JsonSerializable(typeof(LinuxResources))]
public sealed partial class OciJsonContext : JsonSerializerContext;
