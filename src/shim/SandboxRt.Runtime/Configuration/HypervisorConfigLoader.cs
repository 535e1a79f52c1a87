using System.Text.Json;
using System.Text.Json.Nodes;

namespace SandboxRt.Runtime.Configuration;

/// <summary>
/// Finds, reads, overrides and validates a hypervisor configuration. Search order: an explicit path,
/// $SANDBOXRT_CONFIG, Kata's /etc/kata-containers/configuration.toml and
/// /usr/share/defaults/kata-containers/configuration.toml, /etc/sandboxrt/configuration.toml,
/// /etc/sandboxrt/qemu.json, then hypervisor-configs/configuration-qemu.toml and qemu.json next to the
/// binary. A .toml file is Kata's format (KataConfiguration); anything else is our JSON. Relative paths
/// inside a file resolve against the file's directory. Per-run overrides are key=value pairs with the
/// JSON field names (for example default_memory_mib=1024), a driver's field as section.name
/// (qemu.machine_type=microvm); the QEMU fields' older top-level names still work (ConfigFieldNames).
/// </summary>
public static class HypervisorConfigLoader
{
    public const string EnvironmentVariable = "SANDBOXRT_CONFIG";
    public const string SystemPath = "/etc/sandboxrt/qemu.json";

    private static readonly string[] PathFields = ["kernel", "initrd", "image", "virtiofsd_path", "jailer_path", "qemu.path", "cloud_hypervisor.path"];

    /// <summary>The file <see cref="Load"/> would read, or null when none exists (built-in defaults apply).</summary>
    public static string? Locate(string? explicitPath = null)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? System.IO.Path.GetFullPath(explicitPath)
                : throw new ConfigException($"hypervisor config '{explicitPath}' does not exist");
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
            return File.Exists(fromEnvironment) ? System.IO.Path.GetFullPath(fromEnvironment)
                : throw new ConfigException($"hypervisor config '{fromEnvironment}' (from ${EnvironmentVariable}) does not exist");
        foreach (var candidate in SearchPath)
            if (File.Exists(candidate))
                return candidate;
        return null;
    }

    /// <summary>Where a configuration is looked for when none is named, in order.</summary>
    public static IReadOnlyList<string> SearchPath =>
    [
        "/etc/kata-containers/configuration.toml",
        "/usr/share/defaults/kata-containers/configuration.toml",
        "/etc/sandboxrt/configuration.toml",
        SystemPath,
        System.IO.Path.Combine(AppContext.BaseDirectory, "hypervisor-configs", "configuration-qemu.toml"),
        System.IO.Path.Combine(AppContext.BaseDirectory, "hypervisor-configs", "qemu.json"),
    ];

    public static HypervisorConfig Load(string? explicitPath = null, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var path = Locate(explicitPath);
        JsonObject root;
        KataConfiguration.Result? kata = path is not null && KataConfiguration.IsToml(path) ? KataConfiguration.Read(path) : null;
        try
        {
            root = kata is not null ? kata.Fields : path is null ? new JsonObject()
                : JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                  ?? throw new ConfigException($"{path}: the top level must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
        ConfigFieldNames.LiftFlatNames(root, path ?? "built-in defaults");
        var overridden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            var field = ConfigFieldNames.Canonical(key);
            ConfigFieldNames.Set(root, field, ParseOverride(value));
            overridden.Add(field);
        }

        var baseDir = path is null ? AppContext.BaseDirectory : System.IO.Path.GetDirectoryName(path)!;
        foreach (var field in PathFields)
        {
            if (ConfigFieldNames.Get(root, field) is JsonValue v && v.TryGetValue<string>(out var p) && p.Length > 0 && !System.IO.Path.IsPathRooted(p))
                ConfigFieldNames.Set(root, field, System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, p)));
        }

        HypervisorConfig config;
        try
        {
            config = root.Deserialize(ConfigJsonContext.Default.HypervisorConfig) ?? new HypervisorConfig();
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{path ?? "overrides"}: {Describe(e)}", e);
        }
        config = config with { Hypervisor = Hypervisors.HypervisorFactory.CanonicalName(config.Hypervisor), SourcePath = path, Warnings = kata?.Warnings ?? [] };
        try
        {
            Validate(config);
        }
        catch (ConfigException e) when (e.Field is not null && kata?.Origins.GetValueOrDefault(e.Field) is { } origin && !overridden.Contains(e.Field))
        {
            // name the Kata key and its line, not our field
            throw new ConfigException($"{origin}: {e.Problem}", e) { Field = e.Field, Problem = e.Problem };
        }
        if (LastConsole(config.KernelParams) is null)
            config = config with { KernelParams = $"console={GuestConsole} {config.KernelParams}".TrimEnd() };
        return config;
    }

    /// <summary>
    /// The serial port the host reads the guest's console on: console.log, the lines a failed boot quotes,
    /// and the agent's lines a template build waits for. The agent logs to /dev/console, which is the last
    /// console= of the kernel command line, so kernel_params without one get console=ttyS0 (a line without
    /// it made every template build wait out boot_timeout_seconds and fail) and another is refused.
    /// </summary>
    public const string GuestConsole = "ttyS0";

    /// <summary>The device of the last console= in <paramref name="kernelParams"/> ("ttyS0" of "console=ttyS0,115200"), or null.</summary>
    private static string? LastConsole(string kernelParams) =>
        kernelParams.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(p => p.StartsWith("console=", StringComparison.Ordinal))?["console=".Length..].Split(',')[0];

    private static JsonNode? ParseOverride(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }

    private static string Describe(JsonException e)
    {
        var message = e.Message;
        // "The JSON property 'x' could not be mapped to any .NET member..." → name the field plainly.
        int quote = message.IndexOf('\'');
        if (message.Contains("could not be mapped", StringComparison.Ordinal) && quote >= 0)
        {
            int end = message.IndexOf('\'', quote + 1);
            return $"unknown option '{message[(quote + 1)..end]}'";
        }
        return e.Path is { Length: > 0 } p ? $"field {p.TrimStart('$', '.')}: {message}" : message;
    }

    private static void Validate(HypervisorConfig c)
    {
        var where = c.SourcePath ?? "built-in defaults";
        void Fail(string field, string problem) => throw new ConfigException($"{where}: {field}: {problem}") { Field = field, Problem = problem };
        if (!Hypervisors.HypervisorFactory.Names.Contains(c.Hypervisor))
            Fail("hypervisor", $"'{c.Hypervisor}' is not supported by this build ({string.Join(", ", Hypervisors.HypervisorFactory.Names)})");
        if (c.DefaultVcpus is < 1 or > 255)
            Fail("default_vcpus", $"{c.DefaultVcpus} is outside 1..255");
        if (c.DefaultMemoryMib is < 64 or > 1024 * 1024)
            Fail("default_memory_mib", $"{c.DefaultMemoryMib} is outside 64..1048576");
        if (c.DefaultMaxvcpus is < 0 or > 255)
            Fail("default_maxvcpus", $"{c.DefaultMaxvcpus} is outside 0..255");
        if (c.DefaultMaxmemoryMib < 0)
            Fail("default_maxmemory_mib", $"{c.DefaultMaxmemoryMib} is negative");
        if (c.Accelerator is not ("auto" or "kvm" or "tcg"))
            Fail("accelerator", $"'{c.Accelerator}' is not one of auto, kvm, tcg");
        if (c.SharedFs is not ("virtio-fs" or "virtio-9p" or "none"))
            Fail("shared_fs", $"'{c.SharedFs}' is not one of virtio-fs, virtio-9p, none");
        if (c.VirtioFsCache is not ("auto" or "always" or "never"))
            Fail("virtio_fs_cache", $"'{c.VirtioFsCache}' is not one of auto, always, never" + (c.VirtioFsCache == "metadata" ? " (metadata needs the Rust virtiofsd; QEMU 7.2's has none)" : ""));
        if (c.BootTimeoutSeconds is < 1 or > 3600)
            Fail("boot_timeout_seconds", $"{c.BootTimeoutSeconds} is outside 1..3600");
        if (c.ShutdownGraceSeconds is < 0 or > 600)
            Fail("shutdown_grace_seconds", $"{c.ShutdownGraceSeconds} is outside 0..600");
        if (c.JailUidFirst is < 1 or > uint.MaxValue - 1 || c.JailUidCount is < 1 || c.JailUidFirst + c.JailUidCount > uint.MaxValue)
            Fail("jail_uid_first, jail_uid_count", $"{c.JailUidFirst} + {c.JailUidCount} ids do not fit between 1 and {uint.MaxValue - 1}");
        if (c.ConsoleLogMaxBytes < Diagnostics.RotatingLog.MinimumBytes)
            Fail("console_log_max_bytes", $"{c.ConsoleLogMaxBytes} is below {Diagnostics.RotatingLog.MinimumBytes}");
        if (c.VmCacheNumber is < 0 or > 16)
            Fail("vm_cache_number", $"{c.VmCacheNumber} is outside 0..16");
        if (c.VmCacheIdleSeconds is < 0 or > 7 * 86400)
            Fail("vm_cache_idle_seconds", $"{c.VmCacheIdleSeconds} is outside 0..604800");
        if (c.KernelParams.Contains('\n'))
            Fail("kernel_params", "must be one line");
        if (LastConsole(c.KernelParams) is { } console && console != GuestConsole)
            Fail("kernel_params", $"the last console= is '{console}', but the agent logs to the console and the host reads it on {GuestConsole} (leave console= out to get it)");
        c.Qemu.Validate(Fail);
        c.CloudHypervisor.Validate(Fail);
    }
}
