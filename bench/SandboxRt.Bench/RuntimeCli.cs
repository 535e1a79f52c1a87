namespace SandboxRt.Bench;

/// <summary>
/// A runc-compatible CLI (runc, or sandboxrt with the benchmark's config): create + start a detached
/// container, exec into it, delete it. Verbs that leave a container behind run with stdio inherited: the
/// container (or its relay) keeps it open, so it is never captured.
/// </summary>
internal sealed record RuntimeCli(string Name, string[] Command)
{
    public static RuntimeCli Runc() => new("runc", ["runc", "--root", "/run/runc-bench"]);

    public static RuntimeCli Sandboxrt(string binary, string configPath, string kernel, string initrd, string image) =>
        new("sandboxrt", [binary, "--root", StateRoot, "--config", configPath, "--config-option", $"kernel={kernel}", "--config-option", $"initrd={initrd}",
            "--config-option", $"image={image}"]);

    public const string StateRoot = "/run/sandboxrt-bench";

    /// <summary>create + start; throws (naming the runtime and container) when either fails.</summary>
    public async Task StartAsync(string bundle, string id, string? pidFile = null)
    {
        string[] create = pidFile is null ? ["create", "--bundle", bundle, id] : ["create", "--bundle", bundle, "--pid-file", pidFile, id];
        if (await DetachedAsync(create) != 0 || await DetachedAsync("start", id) != 0)
            throw new InvalidOperationException($"{Name} could not create and start container {id} from {bundle}");
    }

    public Task<int> DeleteAsync(string id) => DetachedAsync("delete", "--force", id);

    /// <summary>A verb timed into <paramref name="sample"/> (<see cref="Shell.TimeAsync"/>: a non-zero exit is a failure).</summary>
    public Task<Shell.Result> TimeAsync(Sample sample, params string[] args) => Shell.TimeAsync(sample, Command[0], [.. Command.Skip(1), .. args]);

    private async Task<int> DetachedAsync(params string[] args) => (await Shell.RunAsync(Command[0], [.. Command.Skip(1), .. args], capture: false)).Exit;
}
