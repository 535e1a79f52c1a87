using SandboxRt.Oci.Spec;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Containers;

namespace SandboxRt.UnitTests.Oci;

[Trait("Tier", "unit")]
public sealed class SpecValidatorTests
{
    private static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "oci-configs", name);

    private static IReadOnlyList<string> Problems(Action<Spec> breakIt)
    {
        var spec = DefaultSpec.Create();
        breakIt(spec);
        return Assert.Throws<SpecValidationException>(() => SpecValidator.Validate(spec)).Problems;
    }

    [Theory]
    [InlineData("ctr-run.json")]
    [InlineData("docker-run.json")]
    [InlineData("cri-sandbox.json")]
    [InlineData("cri-container.json")]
    public void Every_real_client_config_parses_and_validates(string fixture)
    {
        var spec = SpecLoader.Parse(File.ReadAllText(FixturePath(fixture)), fixture);
        SpecValidator.Validate(spec);
        Assert.NotEmpty(spec.Process!.Args!);
        Assert.NotNull(spec.Linux!.Namespaces);
    }

    [Fact]
    public void The_default_spec_is_valid_and_round_trips() =>
        SpecValidator.Validate(SpecLoader.Parse(SpecLoader.Serialize(DefaultSpec.Create())));

    [Fact]
    public void Unknown_namespace_types_are_named() =>
        Assert.Contains("linux.namespaces[6].type: unknown namespace type (known: user, pid, uts, ipc, network, cgroup, time, mount)",
            Problems(s => s.Linux!.Namespaces!.Add(new LinuxNamespace { Type = "foo" })));

    [Fact]
    public void Duplicate_and_user_namespaces_are_refused()
    {
        var problems = Problems(s => s.Linux!.Namespaces!.AddRange([new LinuxNamespace { Type = "pid" }, new LinuxNamespace { Type = "user" }]));
        Assert.Contains(problems, p => p.StartsWith("linux.namespaces[6].type: the same namespace type is listed twice"));
        Assert.Contains(problems, p => p.StartsWith("linux.namespaces[7].type: user namespaces are not supported"));
    }

    [Theory]
    [InlineData("/../etc")]
    [InlineData("/a/../../b")]
    [InlineData("relative")]
    public void Mount_destinations_must_be_absolute_and_not_climb(string destination) =>
        Assert.Contains(Problems(s => s.Mounts!.Add(new Mount { Destination = destination, Type = "tmpfs" })), p => p.StartsWith("mounts[7].destination"));

    [Fact]
    public void Cpu_and_memory_node_lists_that_are_not_lists_are_named()
    {
        var problems = Problems(s => s.Linux!.Resources = new LinuxResources { Cpu = new LinuxCpu { Cpus = "0-", Mems = "3-1" } });
        Assert.Contains("linux.resources.cpu.cpus: \"0-\" is not a list of numbers and ranges such as 0-3,8 (each at most 8191)", problems);
        Assert.Contains("linux.resources.cpu.mems: \"3-1\": the range 3-1 ends before it starts", problems);
    }

    [Fact]
    public void Unknown_capabilities_rlimits_and_missing_args_are_named()
    {
        var problems = Problems(s =>
        {
            s.Process!.Args = [];
            s.Process.Capabilities!.Effective!.Add("CAP_WEB_SCALE");
            s.Process.Rlimits!.Add(new Rlimit { Type = "RLIMIT_BOGUS" });
            s.Process.Rlimits.Add(new Rlimit { Type = "RLIMIT_NPROC", Soft = 10, Hard = 5 });
        });
        Assert.Contains(problems, p => p.StartsWith("process.args: must name the program to run"));
        Assert.Contains("process.capabilities.effective[3]: unknown capability", problems);
        Assert.Contains("process.rlimits[1].type: unknown resource limit", problems);
        Assert.Contains("process.rlimits[2]: soft limit 10 exceeds hard limit 5", problems);
    }

    [Fact]
    public void Sysctls_must_belong_to_a_namespace_the_container_has()
    {
        var problems = Problems(s =>
        {
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "network");
            s.Linux.Sysctl = new() { ["net.ipv4.ip_forward"] = "1", ["kernel.panic"] = "1", ["kernel.shmmax"] = "1" };
        });
        Assert.Contains(problems, p => p.StartsWith("linux.sysctl.net.ipv4.ip_forward"));
        Assert.Contains(problems, p => p.StartsWith("linux.sysctl.kernel.panic"));
        Assert.DoesNotContain(problems, p => p.StartsWith("linux.sysctl.kernel.shmmax"));
    }

    [Fact]
    public void Seccomp_profiles_are_checked_field_by_field()
    {
        var problems = Problems(s => s.Linux!.Seccomp = new LinuxSeccomp
        {
            DefaultAction = "SCMP_ACT_MAYBE",
            Syscalls = [new LinuxSyscall { Names = ["read"], Action = "SCMP_ACT_ALLOW", Args = [new LinuxSeccompArg { Index = 9, Op = "SCMP_CMP_ABOUT" }] }],
        });
        Assert.Contains("linux.seccomp.defaultAction: unknown action", problems);
        Assert.Contains("linux.seccomp.syscalls[0].args[0].op: unknown operator", problems);
        Assert.Contains(problems, p => p.StartsWith("linux.seccomp.syscalls[0].args[0].index"));
    }

    [Fact]
    public void Broken_json_names_the_line_and_a_wrong_type_names_the_field()
    {
        var syntax = Assert.Throws<SpecValidationException>(() => SpecLoader.Parse("{\n \"process\": {\n  \"terminal\": yes }\n}"));
        Assert.Contains("not valid JSON at line 3", syntax.Message);
        var type = Assert.Throws<SpecValidationException>(() => SpecLoader.Parse("{\n \"process\": {\n  \"terminal\": \"yes\" }\n}"));
        Assert.Contains("process.terminal: must be true or false", type.Problems);
    }

    [Fact]
    public void Runc_refusals_are_refusals_here_too()
    {
        var problems = Problems(s =>
        {
            s.Process!.Env!.Add("=value");
            s.Linux!.Namespaces!.RemoveAll(n => n.Type == "mount");
            s.Linux.Sysctl = new() { ["kernel.hostname"] = "h" };
            s.Linux.Resources = new LinuxResources { Devices = [new LinuxDeviceCgroup { Allow = true, Type = "c" }] };
            s.Linux.Personality = new LinuxPersonality { Domain = "BSD" };
        });
        Assert.Contains(problems, p => p.StartsWith("process.env[2]: is not NAME=VALUE with a non-empty NAME"));
        Assert.Contains(problems, p => p.StartsWith("linux.maskedPaths: needs a mount namespace"));
        Assert.Contains(problems, p => p.StartsWith("linux.readonlyPaths: needs a mount namespace"));
        Assert.Contains(problems, p => p.StartsWith("linux.sysctl.kernel.hostname: conflicts with the hostname field"));
        Assert.Contains(problems, p => p.StartsWith("linux.resources.devices[0].access: is required"));
        Assert.Contains("linux.personality.domain: must be LINUX or LINUX32", problems);
    }

    [Fact]
    public void Paths_and_names_longer_than_the_kernel_takes_are_named()
    {
        var problems = Problems(s =>
        {
            s.Hostname = new string('h', 65);
            s.Process!.Cwd = "/" + new string('d', 4096);
            s.Mounts!.Add(new Mount { Destination = "/" + string.Join('/', Enumerable.Repeat("a", 3000)), Type = "tmpfs" });
        });
        Assert.Contains("hostname: is longer than 64 bytes", problems);
        Assert.Contains("process.cwd: is longer than 4096 bytes", problems);
        Assert.Contains("mounts[7].destination: is longer than 4096 bytes", problems);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var problems = Problems(s =>
        {
            s.Root = null;
            s.Process!.Cwd = "tmp";
            s.Linux!.Devices = [new LinuxDevice { Path = "/etc/passwd", Type = "x" }];
        });
        Assert.Contains("root.path: is required", problems);
        Assert.Contains("process.cwd: is not an absolute path", problems);
        Assert.Contains(problems, p => p.StartsWith("linux.devices[0].type"));
        Assert.Contains(problems, p => p.StartsWith("linux.devices[0].path"));
    }
}
