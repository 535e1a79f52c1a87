using System.Text.Encodings.Web;
using System.Text.Json;

namespace SandboxRt.Cli.Cli;

/// <summary>Serializer settings for what the CLI prints: readable, without escaping '+' or '&lt;'.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CliJsonContext.Default,
    };

    public static readonly JsonSerializerOptions Compact = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CliJsonContext.Default,
    };
}
