using System.Collections;

namespace SandboxRt.Ttrpc;

/// <summary>
/// Request metadata: string pairs sent with a request, a key may repeat (ttrpc metadata.go, MD).
/// Keys are stored lower-cased and looked up without regard to case, as Go's MD does. Not
/// thread-safe; the server builds one per call before the handler runs.
/// </summary>
public sealed class TtrpcMetadata : IEnumerable<KeyValuePair<string, string>>
{
    /// <summary>The key containerd puts the namespace under (containerd namespaces/ttrpc.go, TTRPCHeader).</summary>
    public const string NamespaceKey = "containerd-namespace-ttrpc";

    private readonly List<KeyValuePair<string, string>> _entries = [];

    public int Count => _entries.Count;

    /// <summary>Appends a value; earlier values for the same key stay.</summary>
    public void Add(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _entries.Add(new(key.ToLowerInvariant(), value));
    }

    /// <summary>The first value under <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        foreach (var entry in _entries)
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
                return entry.Value;
        return null;
    }

    /// <summary>Every value under <paramref name="key"/> in the order they were added; empty when none.</summary>
    public IReadOnlyList<string> GetAll(string key)
    {
        var values = new List<string>();
        foreach (var entry in _entries)
            if (string.Equals(entry.Key, key, StringComparison.OrdinalIgnoreCase))
                values.Add(entry.Value);
        return values;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
