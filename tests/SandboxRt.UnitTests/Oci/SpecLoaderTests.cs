using System.Diagnostics;
using System.Text.Json.Nodes;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Oci;

/// <summary>
/// config.json is read as runc reads it: a regular file of bounded size, strict JSON, every field of the
/// right type, and every problem a SpecValidationException that names the field without quoting the file.
/// </summary>
[Trait("Tier", "unit")]
public sealed class SpecLoaderTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _bundle = new();

    public void Dispose() => _bundle.Dispose();

    private string ConfigPath => Path.Combine(_bundle.Path, "config.json");

    private static JsonObject DefaultConfig() => JsonNode.Parse(SpecLoader.Serialize(SandboxRt.Oci.Spec.DefaultSpec.Create()))!.AsObject();

    /// <summary>What create does with a bundle before anything exists: load, find the rootfs, validate.</summary>
    private async Task<IReadOnlyList<string>> RefusedAsync()
    {
        var load = Task.Run(() =>
        {
            var spec = SpecLoader.LoadBundle(_bundle.Path);
            SpecValidator.Validate(spec, SpecLoader.RootfsPath(spec, _bundle.Path));
        });
        var finished = await Task.WhenAny(load, Task.Delay(Bound, TestContext.Current.CancellationToken));
        Assert.True(finished == load, $"loading config.json did not finish within {Bound}");
        var e = await Assert.ThrowsAsync<SpecValidationException>(() => load);
        return e.Problems;
    }

    private Task<IReadOnlyList<string>> RefusedAsync(string json)
    {
        File.WriteAllText(ConfigPath, json);
        return RefusedAsync();
    }

    private Task<IReadOnlyList<string>> RefusedAsync(Action<JsonObject> change)
    {
        var config = DefaultConfig();
        change(config);
        return RefusedAsync(config.ToJsonString());
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    [Theory]
    [InlineData("/dev/zero", "character device")]
    [InlineData("/dev/urandom", "character device")]
    [InlineData("/dev/null", "character device")]
    [InlineData("/tmp", "directory")]
    public async Task A_config_json_that_links_to_a_device_or_directory_is_refused_without_reading_it(string target, string kind)
    {
        File.CreateSymbolicLink(ConfigPath, target);
        var problems = await RefusedAsync();
        Assert.Contains(problems, p => p.Contains($"is a {kind}, not a regular file"));
    }

    [Fact]
    public async Task A_config_json_that_is_a_fifo_is_refused_without_blocking()
    {
        MakeFifo(ConfigPath);
        Assert.Contains(await RefusedAsync(), p => p.Contains("is a FIFO, not a regular file"));
    }

    [Fact]
    public async Task A_config_json_that_links_to_a_fifo_is_refused_without_blocking()
    {
        var fifo = Path.Combine(_bundle.Path, "elsewhere");
        MakeFifo(fifo);
        File.CreateSymbolicLink(ConfigPath, fifo);
        Assert.Contains(await RefusedAsync(), p => p.Contains("is a FIFO, not a regular file"));
    }

    [Fact]
    public async Task A_config_json_larger_than_the_bound_is_refused()
    {
        using (var file = File.Create(ConfigPath))
            file.SetLength(SpecLoader.MaxConfigBytes + 1);
        Assert.Contains(await RefusedAsync(), p => p.Contains($"larger than {SpecLoader.MaxConfigBytes} bytes"));
    }

    [Fact]
    public async Task A_missing_config_json_is_named() =>
        Assert.Contains(await RefusedAsync(), p => p.Contains("no config.json in the bundle"));

    [Theory]
    [InlineData("{\"root\": null}")]
    [InlineData("{}")]
    [InlineData("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}")]
    [InlineData("{\"root\": {}}")]
    [InlineData("{\"root\": {\"path\": \"\"}}")]
    public async Task A_config_without_a_root_names_root_path(string json) =>
        Assert.Contains("root.path: is required", await RefusedAsync(json));

    [Theory]
    [InlineData("null", "the document: must be an object")]
    [InlineData("[]", "the document: must be an object")]
    [InlineData("\"config\"", "the document: must be an object")]
    [InlineData("42", "the document: must be an object")]
    [InlineData("", "is empty")]
    public async Task A_document_that_is_not_an_object_is_refused(string json, string expected) =>
        Assert.Contains(await RefusedAsync(json), p => p.Contains(expected));

    [Fact]
    public async Task Comments_are_refused_as_runc_refuses_them() =>
        Assert.Contains(await RefusedAsync("// a comment\n" + DefaultConfig().ToJsonString()), p => p.Contains("not valid JSON at line 1"));

    [Fact]
    public async Task Trailing_commas_are_refused_as_runc_refuses_them() =>
        Assert.Contains(await RefusedAsync("{\n \"ociVersion\": \"1.0.2\",\n \"root\": {\"path\": \"rootfs\",},\n}"), p => p.Contains("not valid JSON at line 3"));

    [Fact]
    public async Task Numbers_written_as_strings_are_refused_as_runc_refuses_them() =>
        Assert.Contains("process.user.uid: must be a number", await RefusedAsync(c => c["process"]!["user"]!["uid"] = "0"));

    [Theory]
    [InlineData("args", 1)]
    [InlineData("env", 0)]
    public async Task A_NUL_byte_in_a_process_string_is_refused_naming_it(string field, int index) =>
        Assert.Contains($"process.{field}[{index}]: contains a NUL byte", await RefusedAsync(c =>
        {
            var list = c["process"]![field]!.AsArray();
            while (list.Count <= index)
                list.Add("X=1");
            list[index] = "A=a\0b";
        }));

    [Fact]
    public async Task A_NUL_byte_in_any_c_string_is_refused_naming_it()
    {
        var problems = await RefusedAsync(c =>
        {
            c["process"]!["cwd"] = "/tm\0p";
            c["hostname"] = "h\0st";
            c["root"]!["path"] = "root\0fs";
            c["mounts"]![1]!["options"]!.AsArray().Add("mode=755\0,suid");
            c["mounts"]![2]!["destination"] = "/de\0v/pts";
            c["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = "1\0" };
            c["linux"]!["maskedPaths"]![0] = "/proc/\0kcore";
        });
        Assert.Contains("process.cwd: contains a NUL byte", problems);
        Assert.Contains("hostname: contains a NUL byte", problems);
        Assert.Contains("root.path: contains a NUL byte", problems);
        Assert.Contains(problems, p => p.StartsWith("mounts[1].options[") && p.EndsWith(": contains a NUL byte"));
        Assert.Contains("mounts[2].destination: contains a NUL byte", problems);
        Assert.Contains("linux.sysctl.net.ipv4.ip_forward: contains a NUL byte", problems);
        Assert.Contains("linux.maskedPaths[0]: contains a NUL byte", problems);
    }

    [Fact]
    public async Task Annotations_may_hold_any_string() =>
        Assert.Contains("root.path: is required", await RefusedAsync(c =>
        {
            c["annotations"] = new JsonObject { ["io.example/blob"] = "a\0b" };
            c.Remove("root");
        }));

    [Fact]
    public async Task Nulls_where_the_spec_has_none_are_named()
    {
        var problems = await RefusedAsync(c =>
        {
            c["process"]!["args"] = new JsonArray("sh", null);
            c["process"]!["cwd"] = null;
            c["process"]!["user"] = null;
            c["process"]!["terminal"] = null;
            c["mounts"]!.AsArray().Add(null);
            c["linux"]!["namespaces"]!.AsArray().Add(null);
            c["linux"]!["sysctl"] = new JsonObject { ["net.ipv4.ip_forward"] = null };
        });
        Assert.Contains("process.args[1]: must not be null", problems);
        Assert.Contains("process.cwd: must not be null", problems);
        Assert.Contains("process.user: must not be null", problems);
        Assert.Contains("process.terminal: must not be null", problems);
        Assert.Contains("mounts[7]: must not be null", problems);
        Assert.Contains("linux.namespaces[6]: must not be null", problems);
        Assert.Contains("linux.sysctl.net.ipv4.ip_forward: must not be null", problems);
    }

    [Fact]
    public async Task Wrong_types_deep_in_linux_resources_are_named()
    {
        var problems = await RefusedAsync(c => c["linux"]!["resources"] = JsonNode.Parse("""
            {"memory": {"limit": "lots", "swap": 1e400, "swappiness": -1},
             "cpu": {"shares": 18446744073709551616, "cpus": 3},
             "pids": {"limit": 1.5},
             "blockIO": {"weight": 70000, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": true}]},
             "devices": [{"allow": "yes", "access": "rwm"}],
             "unified": {"memory.high": 5}}
            """));
        Assert.Contains("linux.resources.memory.limit: must be a number", problems);
        Assert.Contains(problems, p => p.StartsWith("linux.resources.memory.swap: must be an integer"));
        Assert.Contains(problems, p => p.StartsWith("linux.resources.memory.swappiness: must be an integer from 0"));
        Assert.Contains(problems, p => p.StartsWith("linux.resources.cpu.shares: must be an integer"));
        Assert.Contains("linux.resources.cpu.cpus: must be a string", problems);
        Assert.Contains(problems, p => p.StartsWith("linux.resources.pids.limit: must be an integer"));
        Assert.Contains("linux.resources.blockIO.weight: must be an integer from 0 to 65535", problems);
        Assert.Contains("linux.resources.blockIO.throttleReadBpsDevice[0].rate: must be a number", problems);
        Assert.Contains("linux.resources.devices[0].allow: must be true or false", problems);
        Assert.Contains("linux.resources.unified.memory.high: must be a string", problems);
    }

    [Fact]
    public async Task A_parse_error_never_quotes_the_file_it_read()
    {
        var secret = Path.Combine(_bundle.Path, "secret");
        File.WriteAllText(secret, "SECRET-hunter2\nroot:$6$salt$hash:19000:0:99999:7:::\n");
        File.CreateSymbolicLink(ConfigPath, secret);
        var problems = await RefusedAsync();
        Assert.All(problems, p => Assert.DoesNotContain("SECRET", p));
        Assert.All(problems, p => Assert.DoesNotContain("hunter2", p));
        Assert.All(problems, p => Assert.DoesNotContain("'S'", p));
        Assert.Contains(problems, p => p.Contains("not valid JSON at line 1, column 1"));
    }

    [Fact]
    public async Task A_validation_error_never_quotes_a_value()
    {
        const string secret = "hunter2-secret";
        var problems = await RefusedAsync(c =>
        {
            c["process"]!["env"]!.AsArray().Add(secret);
            c["process"]!["cwd"] = secret;
            c["process"]!["capabilities"]!["bounding"]!.AsArray().Add(secret);
            c["process"]!["rlimits"]!.AsArray().Add(new JsonObject { ["type"] = secret, ["hard"] = 1, ["soft"] = 1 });
            c["linux"]!["namespaces"]!.AsArray().Add(new JsonObject { ["type"] = secret });
            c["linux"]!["rootfsPropagation"] = secret;
            c["linux"]!["devices"] = new JsonArray(new JsonObject { ["path"] = secret, ["type"] = secret, ["major"] = 1, ["minor"] = 1 });
            c["linux"]!["seccomp"] = new JsonObject { ["defaultAction"] = secret, ["architectures"] = new JsonArray(secret) };
            c["linux"]!["sysctl"] = new JsonObject { [secret + "!"] = "1" };
            c["mounts"]!.AsArray().Add(new JsonObject { ["destination"] = secret });
            c["hooks"] = new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = secret }) };
        });
        Assert.True(problems.Count >= 10, string.Join("\n", problems));
        Assert.All(problems, p => Assert.DoesNotContain("hunter2", p));
    }

    [Fact]
    public async Task Invalid_utf8_is_refused()
    {
        var config = DefaultConfig();
        config["hostname"] = "h\u00e9st";
        var bytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        bytes[Array.IndexOf(bytes, (byte)0xC3)] = 0xFF;
        File.WriteAllBytes(ConfigPath, bytes);
        Assert.Contains(await RefusedAsync(), p => p.Contains("is not UTF-8 text"));
    }
}
