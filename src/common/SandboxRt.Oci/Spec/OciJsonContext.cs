using System.Text.Json.Serialization;

namespace SandboxRt.Oci.Spec;

/// <summary>
/// Strict JSON, as Go's encoding/json reads it for runc: no comments, no trailing commas, numbers as
/// numbers. Reading goes through SpecLoader, which also checks the shape first.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Spec))]
[JsonSerializable(typeof(State))]
[JsonSerializable(typeof(Process))]
[JsonSerializable(typeof(LinuxResources))]
public sealed partial class OciJsonContext : JsonSerializerContext;
