using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SandboxRt.Containerd.Protocol;
using SandboxRt.Containerd.Protocol.Events;
using SandboxRt.Containerd.Protocol.RuntimeOptions;
using SandboxRt.Grpc;
using SandboxRt.Oci.Validation;
using SandboxRt.Runtime.Agent;
using SandboxRt.Shim.Cli;
using SandboxRt.Shim.Pods;
using SandboxRt.Shim.Service;

namespace SandboxRt.UnitTests.Shim;

[Trait("Tier", "unit")]
public sealed class TaskServiceMappingTests
{
    [Fact]
    public void Exit_events_name_the_exec_or_the_container_and_pack_as_containerd_expects()
    {
        var at = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
        var (topic, message) = TaskEventMessages.ToMessage(new TaskEvent(TaskEventKind.Exit, "c1") { Pid = 77, ExitStatus = 137, At = at });
        Assert.Equal("/tasks/exit", topic);
        var exit = Assert.IsType<TaskExit>(message);
        Assert.Equal(("c1", "c1", 77u, 137u), (exit.ContainerId, exit.Id, exit.Pid, exit.ExitStatus));
        Assert.Equal(at, exit.ExitedAt.ToDateTime());
        var execExit = (TaskExit)TaskEventMessages.ToMessage(new TaskEvent(TaskEventKind.Exit, "c1") { ExecId = "e1" }).Message;
        Assert.Equal("e1", execExit.Id);
        Assert.Equal("containerd.events.TaskExit", TypeUrls.Pack(message).TypeUrl);
    }

    [Theory]
    [InlineData(nameof(TaskEventKind.Create), "/tasks/create")]
    [InlineData(nameof(TaskEventKind.Start), "/tasks/start")]
    [InlineData(nameof(TaskEventKind.ExecAdded), "/tasks/exec-added")]
    [InlineData(nameof(TaskEventKind.ExecStarted), "/tasks/exec-started")]
    [InlineData(nameof(TaskEventKind.Paused), "/tasks/paused")]
    [InlineData(nameof(TaskEventKind.Resumed), "/tasks/resumed")]
    [InlineData(nameof(TaskEventKind.Oom), "/tasks/oom")]
    [InlineData(nameof(TaskEventKind.Delete), "/tasks/delete")]
    public void Every_event_has_containerds_topic(string kind, string topic)
    {
        var create = new CreateTaskRequest("c1", "/b", [new RootfsMount("overlay", "overlay", ["lowerdir=/l"])], new ProcessIo("", "/o", "/e", false));
        Assert.Equal(topic, TaskEventMessages.ToMessage(new TaskEvent(System.Enum.Parse<TaskEventKind>(kind), "c1") { Create = create }).Topic);
    }

    [Fact]
    public void Errors_map_to_the_codes_containerd_turns_into_errdefs()
    {
        Assert.Equal(StatusCode.NotFound, TaskErrors.ToStatus(new TaskNotFoundException("x")).Code);
        Assert.Equal(StatusCode.AlreadyExists, TaskErrors.ToStatus(new TaskAlreadyExistsException("x")).Code);
        Assert.Equal(StatusCode.FailedPrecondition, TaskErrors.ToStatus(new InvalidOperationException("x")).Code);
        Assert.Equal(StatusCode.InvalidArgument, TaskErrors.ToStatus(new SpecValidationException(["p"])).Code);
        Assert.Equal(StatusCode.Unimplemented, TaskErrors.ToStatus(new NotSupportedException("x")).Code);
        var agent = TaskErrors.ToStatus(new AgentException(AgentErrorKind.NotFound, "Exec", "no such file"));
        Assert.Equal(StatusCode.NotFound, agent.Code);
        Assert.Contains("no such file", agent.Message);
    }

    [Fact]
    public void Runtime_options_on_stdin_give_the_config_path()
    {
        var any = TypeUrls.Pack(new Options { ConfigPath = "/etc/sandboxrt/pod.json" });
        Assert.Equal("runtimeoptions.v1.Options", any.TypeUrl);
        Assert.Equal("/etc/sandboxrt/pod.json", RuntimeOptions.ReadConfigPath(new MemoryStream(any.ToByteArray())));
        Assert.Equal("", RuntimeOptions.ReadConfigPath(new MemoryStream()));
        var googleapis = new Any { TypeUrl = "type.googleapis.com/runtimeoptions.v1.Options", Value = new Options { ConfigPath = "/x" }.ToByteString() };
        Assert.Equal("/x", RuntimeOptions.ReadConfigPath(new MemoryStream(googleapis.ToByteArray())));
    }

    [Fact]
    public void Runtime_options_of_another_runtime_or_garbage_are_refused()
    {
        var runc = new Any { TypeUrl = "containerd.runc.v1.Options", Value = ByteString.CopyFromUtf8("") };
        Assert.Contains("containerd.runc.v1.Options", Assert.Throws<ArgumentException>(() => RuntimeOptions.ReadConfigPath(new MemoryStream(runc.ToByteArray()))).Message);
        Assert.Throws<ArgumentException>(() => RuntimeOptions.ReadConfigPath(new MemoryStream([0xff, 0xff, 0xff])));
        Assert.Contains("more than", Assert.Throws<ArgumentException>(() => RuntimeOptions.ReadConfigPath(new MemoryStream(new byte[100_000]))).Message);
    }

    [Fact]
    public void Info_prints_runtime_info_with_the_options_and_the_oci_features()
    {
        var options = TypeUrls.Pack(new Options { ConfigPath = "/etc/q.json" });
        var stdout = new MemoryStream();
        Assert.Equal(0, InfoCommand.Run(new MemoryStream(options.ToByteArray()), stdout));
        var info = SandboxRt.Containerd.Protocol.Types.RuntimeInfo.Parser.ParseFrom(stdout.ToArray());
        Assert.Equal("io.containerd.sandboxrt.v2", info.Name);
        Assert.False(string.IsNullOrEmpty(info.Version.Version));
        Assert.Equal(options, info.Options);
        Assert.Equal("types.containerd.io/opencontainers/runtime-spec/1/features/Features", info.Features.TypeUrl);
        Assert.Contains("\"ociVersionMin\"", info.Features.Value.ToStringUtf8());
    }

    [Fact]
    public void Stats_become_cgroup_v2_metrics()
    {
        var metrics = TaskService.ToMetrics(new ContainerStats(10, 6, 4, 4096, 8192, 1024, 2048, 1, 3, 50, 100, 200));
        Assert.Equal(4096ul, metrics.Memory.Usage);
        Assert.Equal(8192ul, metrics.Memory.UsageLimit);
        Assert.Equal(3ul, metrics.Pids.Current);
        Assert.Equal(1ul, metrics.MemoryEvents.OomKill);
        Assert.Equal("io.containerd.cgroups.v2.Metrics", TypeUrls.Pack(metrics).TypeUrl);
    }

    /// <summary>
    /// What the CRI plugin computes kubelet's numbers from: working set = usage - inactive_file, available =
    /// limit - working set only for a limit below 2^62 (so "max" must be MaxUint64, as containerd's cgroups
    /// library reports it, not 0, which wrapped around to 16 EiB), and the page faults.
    /// </summary>
    [Fact]
    public void Stats_carry_what_the_cri_needs_for_the_working_set_and_an_unlimited_memory_is_max_uint64()
    {
        var metrics = TaskService.ToMetrics(new ContainerStats(10, 6, 4, 52_000_000, 0, 114_688, 51_000_000, 0, 3, 0, 0, 0,
            MemoryInactiveFileBytes: 49_000_000, MemoryActiveFileBytes: 2_000_000, MemoryShmemBytes: 16_000_000, PageFaults: 5500, MajorPageFaults: 3));
        Assert.Equal(ulong.MaxValue, metrics.Memory.UsageLimit);
        Assert.Equal(49_000_000ul, metrics.Memory.InactiveFile);
        Assert.Equal(2_000_000ul, metrics.Memory.ActiveFile);
        Assert.Equal(16_000_000ul, metrics.Memory.Shmem);
        Assert.Equal((5500ul, 3ul), (metrics.Memory.Pgfault, metrics.Memory.Pgmajfault));
    }
}
