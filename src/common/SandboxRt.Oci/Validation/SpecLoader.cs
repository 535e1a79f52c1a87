using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using SandboxRt.Interop;
using SandboxRt.Oci.Spec;

namespace SandboxRt.Oci.Validation;

/// <summary>
/// Reads a bundle's config.json as runc reads it, only stricter where runc's leniency is a hazard:
/// a regular file (never a device, FIFO or socket, even through a symlink) of at most
/// <see cref="MaxConfigBytes"/>, strict JSON (no comments, no trailing commas, numbers as numbers), every
/// field of the right type, no null where the model has none and no NUL byte in any string that becomes a
/// C string (<see cref="JsonShapeChecker"/>). Every problem is a <see cref="SpecValidationException"/> that
/// names the field (or the line and column for broken JSON) and never quotes the file's content.
/// </summary>
public static partial class SpecLoader
{
    public const string ConfigFileName = "config.json";

    /// <summary>The largest config.json accepted (a seccomp profile is ~50 KB; this bounds hostile input).</summary>
    public const int MaxConfigBytes = 4 * 1024 * 1024;

    private static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    public static Spec.Spec LoadBundle(string bundle)
    {
        var path = Path.Combine(bundle, ConfigFileName);
        return Parse(ReadBounded(path, "no config.json in the bundle"), OciJsonContext.Default.Spec, path);
    }

    /// <summary>A process.json (runc exec --process FILE), read like config.json.</summary>
    public static Spec.Process LoadProcess(string path) =>
        Parse(ReadBounded(path, "no such file"), OciJsonContext.Default.Process, path);

    /// <summary>The bytes of a file given to us as configuration: bounded, regular, or a SpecValidationException.</summary>
    public static byte[] ReadBounded(string path, string whenMissing)
    {
        try
        {
            return BoundedFile.ReadRegular(path, MaxConfigBytes);
        }
        catch (SyscallException e) when (e.Errno == Errno.ENOENT)
        {
            throw new SpecValidationException([$"{path}: {whenMissing}"]);
        }
        catch (IOException e)
        {
            throw new SpecValidationException([e.Message]);
        }
    }

    public static Spec.Spec Parse(string json, string what = ConfigFileName) =>
        Parse(System.Text.Encoding.UTF8.GetBytes(json), OciJsonContext.Default.Spec, what);

    public static Spec.Spec Parse(ReadOnlyMemory<byte> utf8, string what = ConfigFileName) =>
        Parse(utf8, OciJsonContext.Default.Spec, what);

    /// <summary>Strict JSON, then its shape against <paramref name="type"/>, then the typed object.</summary>
    public static T Parse<T>(ReadOnlyMemory<byte> utf8, JsonTypeInfo<T> type, string what) where T : class
    {
        if (utf8.Length > MaxConfigBytes)
            throw new SpecValidationException([$"{what}: larger than {MaxConfigBytes} bytes"]);
        if (utf8.Length == 0)
            throw new SpecValidationException([$"{what}: is empty"]);
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
            throw new SpecValidationException([$"{what}: is not UTF-8 text"]);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, StrictJson);
        }
        catch (JsonException e)
        {
            throw new SpecValidationException([$"{what}: not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {Describe(e)}"]);
        }
        using (document)
        {
            var problems = new List<string>();
            JsonShapeChecker.Check(document.RootElement, type, problems);
            if (problems.Count > 0)
                throw new SpecValidationException(problems);
            try
            {
                return document.RootElement.Deserialize(type) ?? throw new SpecValidationException([$"{what}: is null"]);
            }
            catch (JsonException e)
            {
                // the shape check should have caught it; still a named error, not a crash
                var field = string.IsNullOrEmpty(e.Path) ? "the document" : e.Path.TrimStart('$', '.');
                throw new SpecValidationException([$"{field}: cannot be read as {type.Type.Name}"]);
            }
        }
    }

    public static string Serialize(Spec.Spec spec) => JsonSerializer.Serialize(spec, OciJsonContext.Default.Spec);

    /// <summary>The absolute root file system path: root.path, relative to the bundle when not absolute.</summary>
    public static string RootfsPath(Spec.Spec spec, string bundle)
    {
        if (spec.Root is not { Path.Length: > 0 } root)
            throw new SpecValidationException(["root.path: is required"]);
        return Path.GetFullPath(Path.IsPathRooted(root.Path) ? root.Path : Path.Combine(bundle, root.Path));
    }

    /// <summary>
    /// The reader's description of a syntax error without the characters it quotes ("'S' is an invalid
    /// start of a value"): those come from the file. Quoted JSON punctuation and literals are kept.
    /// </summary>
    private static string Describe(JsonException e)
    {
        var message = e.Message;
        foreach (var marker in new[] { " LineNumber:", " Path:" })
            if (message.IndexOf(marker, StringComparison.Ordinal) is int cut and >= 0)
                message = message[..cut];
        return Quoted().Replace(message, m => m.Groups[1].Value is "," or ":" or "{" or "}" or "[" or "]" or "\"" or "true" or "false" or "null" ? m.Value : "a character");
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();
}
