using System.Diagnostics;

namespace SandboxRt.IntegrationTests.Support;

/// <summary>Runs the real CLI (out/bin/sandboxrt) and collects what it printed.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public static string Binary => Path.Combine(TestEnvironment.RepoRoot, "out", "bin", "sandboxrt");

    /// <summary>
    /// The CLI as the clients that take a runc binary call it (Docker's runtimes path, ctr --runc-binary,
    /// podman --runtime): the binary itself, or under <see cref="TestEnvironment.TemplatesOff"/> a script that
    /// execs it with --config-option qemu.vm_template=false (those clients pass no options of ours).
    /// </summary>
    public static string ClientBinary => TestEnvironment.TemplatesOff ? TemplatesOffWrapper.Value : Binary;

    private static readonly Lazy<string> TemplatesOffWrapper = new(() => TestEnvironment.WriteGenerated("sandboxrt-templates-off",
        $"#!/bin/sh\nexec '{Binary}' --config-option qemu.vm_template=false \"$@\"\n",
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute));

    public static void RequireBinary() => TestEnvironment.RequireFile(Binary, "the sandboxrt CLI (make build)");

    /// <summary>Runs `sandboxrt ARGS` with optional stdin bytes (null: /dev/null-like empty input).</summary>
    public static async Task<CliRun> RunAsync(IEnumerable<string> args, Stream? stdin = null, TimeSpan? timeout = null, string? root = null)
    {
        RequireBinary();
        var allArgs = new List<string>();
        if (root is not null)
            allArgs.AddRange(["--root", root]);
        allArgs.AddRange(["--config", TestEnvironment.QemuConfig,
                          "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}"]);
        allArgs.AddRange(args);
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(Binary, allArgs)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        var feed = Task.Run(async () =>
        {
            try
            {
                if (stdin is not null)
                    await stdin.CopyToAsync(process.StandardInput.BaseStream);
            }
            catch (IOException)
            {
            }
            finally
            {
                process.StandardInput.Close();
            }
        });
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sandboxrt {string.Join(' ', args)} did not finish in time; stderr: {await stderr}");
        }
        await copyOut;
        await feed;
        return new CliRun(process.ExitCode, System.Text.Encoding.UTF8.GetString(stdout.ToArray()), await stderr, watch.Elapsed) { StdoutBytes = stdout.ToArray() };
    }

    public byte[] StdoutBytes { get; init; } = [];

    /// <summary>
    /// For verbs that leave a relay behind (create, exec --detach): the relay keeps the caller's stdout
    /// and stderr, as a runc container keeps them, so they go to files instead of pipes read to their end.
    /// </summary>
    public static async Task<CliRun> RunLeavingRelayAsync(IEnumerable<string> args, string root)
    {
        RequireBinary();
        using var dir = new ScratchDirectory("srt-cliout");
        var quoted = string.Join(' ', new[] { "--root", root, "--config", TestEnvironment.QemuConfig,
            "--config-option", $"kernel={TestEnvironment.Kernel}", "--config-option", $"initrd={TestEnvironment.Initrd}", "--config-option", $"image={TestEnvironment.Image}" }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''") + "'"));
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec '{Binary}' {quoted} </dev/null >'{dir.Combine("out")}' 2>'{dir.Combine("err")}'"]))!;
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, File.ReadAllText(dir.Combine("out")), File.ReadAllText(dir.Combine("err")), watch.Elapsed);
    }

    /// <summary>The validator's key=value facts (repeated keys keep every value, joined by newlines).</summary>
    public Dictionary<string, string> Facts()
    {
        var facts = new Dictionary<string, string>();
        foreach (var line in Stdout.Split('\n'))
        {
            int eq = line.IndexOf('=');
            if (eq <= 0)
                continue;
            var key = line[..eq];
            var value = line[(eq + 1)..].TrimEnd('\r');
            facts[key] = facts.TryGetValue(key, out var old) ? old + "\n" + value : value;
        }
        return facts;
    }
}
